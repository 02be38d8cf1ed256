package broker

import "github.com/mochi-mqtt/server/v2/hooks/auth"

// ledger is who may connect and what each may touch when anonymous clients
// are not allowed. A user is a device or a staff member, named by its id:
// it may publish and subscribe under its own R/dev/{id}/ and R/staff/{id}/
// only, and read the alarm board. Nothing else: a device cannot speak for
// another device, nor a phone acknowledge for another person. The gateway
// itself publishes through the broker's inline client, which no ACL binds.
func ledger(users map[string]string, root string) *auth.Ledger {
	l := &auth.Ledger{
		Users: auth.Users{},
		// Every topic no user rule allows is denied.
		ACL: auth.ACLRules{{Filters: auth.Filters{"#": auth.Deny}}},
	}
	for u, p := range users {
		l.Users[u] = auth.UserRule{
			Username: auth.RString(u),
			Password: auth.RString(p),
			ACL: auth.Filters{
				auth.RString(root + "/dev/" + u + "/#"):   auth.ReadWrite,
				auth.RString(root + "/staff/" + u + "/#"): auth.ReadWrite,
				auth.RString(root + "/alarms/#"):          auth.ReadOnly,
			},
		}
	}
	return l
}
