package broker

import "strings"

// acl is what each user may touch when anonymous clients are not allowed.
// A user is a device or a staff member, named by its id: it may publish
// and subscribe under its own R/dev/{id}/ and R/staff/{id}/ only, and read
// the alarm board. Nothing else: a device cannot speak for another device,
// nor a phone acknowledge for another person. The gateway itself publishes
// through the broker's inline client, which no ACL binds. Usernames are
// ids ([A-Za-z0-9._-]{1,64}, checked at CONNECT), so a name can never
// carry a wildcard or a level separator into a rule.
type acl struct{ root string }

// allows reports whether user may publish (write) to topic, or subscribe
// to the filter topic (read). A filter is allowed only when everything it
// can match lies inside the user's own space: "R/dev/{id}/#" is, and
// "R/dev/+/evt" is not.
func (a acl) allows(user, topic string, write bool) bool {
	if user == "" || !validUsername(user) {
		return false
	}
	within := func(base string) bool {
		return topic == base || strings.HasPrefix(topic, base+"/")
	}
	if within(a.root+"/dev/"+user) || within(a.root+"/staff/"+user) {
		return true
	}
	return !write && within(a.root+"/alarms")
}

// validTopic reports whether topic can be published to: not empty, and
// without wildcards or the NUL character.
func validTopic(topic string) bool {
	return topic != "" && !strings.ContainsAny(topic, "+#\x00")
}
