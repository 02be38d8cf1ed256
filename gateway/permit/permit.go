// Package permit is the one table of who may do what where. A caller is
// resolved once at the edge (the owner of an HTTP bearer token or login
// session — a staff member, or an admin or installer account of the
// config — the MQTT user of a staff reply, or with HTTP auth off on a
// loopback listener and no login the body's "by" or else the local
// console) and every part that acts for
// someone asks Check before it does. Auth off only removes the login,
// never the roles: a named staff member is held to their role with auth on
// or off.
//
// The package uses only the registry's nouns (roles, staff, the grid
// tree), so the rules (the escalation desk) may import it as well as the
// gateway's services.
package permit

import (
	"fmt"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Caller is who asks, as resolved at the edge.
type Caller struct {
	// ID is the staff id, the name of a config account, or ConsoleID for
	// the local console.
	ID      string
	console bool
	account Account
}

// Account is the role of an account of the config file (http.users), who
// is no staff member of the registry.
type Account string

// The config accounts' roles.
const (
	// Admin may do everything on the whole site.
	Admin Account = "admin"
	// Installer sees the whole site and may set silences (installer test
	// runs), send device commands and run commissioning sessions, nothing
	// else: an installer acts on no alarm.
	Installer Account = "installer"
)

// accountMay is what each config account may do, on every cell; nil
// means every action.
var accountMay = map[Account][]Action{
	Admin:     nil,
	Installer: {Silence, Command, Commission},
}

// AccountCaller is the config account id with role a.
func AccountCaller(id string, a Account) Caller { return Caller{ID: id, account: a} }

// Account returns the config account's role, or "" for staff and the
// console.
func (c Caller) Account() Account { return c.account }

// Role is the caller's role as shown to them: the account's (admin,
// installer), the staff member's in reg, the console's (security_room),
// or "" for a staff id reg does not know.
func Role(reg *registry.Registry, c Caller) string {
	if c.account != "" {
		return string(c.account)
	}
	r, _ := roleOf(reg, c)
	return string(r)
}

// WholeSite reports whether c sees and acts on every cell of the site
// (the console and the config accounts) rather than the cells they serve.
func (c Caller) WholeSite() bool { return c.console || c.account != "" }

// ConsoleID is the name under which the local console acts.
const ConsoleID = "console"

// Console is the security-room console on this machine: a caller on a
// loopback listener with auth off who names nobody. It holds the security
// room's role for the whole site.
var Console = Caller{ID: ConsoleID, console: true}

// Staff is the caller who is staff member id (a token's owner, an MQTT
// user, a body's "by").
func Staff(id string) Caller { return Caller{ID: id} }

// IsConsole reports whether c is the local console.
func (c Caller) IsConsole() bool { return c.console }

// Action is something a caller asks to do.
type Action string

// The actions of the table. Their names appear in refusals.
const (
	Act       Action = "act"       // ack, arrive at or resolve an alarm
	Emergency Action = "emergency" // switch emergency mode (扁平化) on or off
	Audit     Action = "audit"     // read the audit log
	Cards     Action = "cards"     // read the access cards
	Rules     Action = "rules"     // reload the rule file
	Silence   Action = "silence"   // set or remove a silence
	Broadcast Action = "broadcast" // broadcast a message down the grid tree
	// Command sends a device a command (strobe, siren, speak, unlock …).
	Command Action = "command"
	// Commission starts, reads or ends a commissioning session (walk test).
	Commission Action = "commission"
)

// Where says which cells a role must serve for an action.
type Where int

const (
	// Anywhere: the action concerns no cell (the rule file, the audit log).
	Anywhere Where = iota
	// Serves: the caller serves the cell or one above it; for the whole
	// site (Target.Grid ""), every root cell.
	Serves
	// PagedOrServes: the caller was paged for the alarm, or serves its cell
	// or one above it.
	PagedOrServes
)

// Rule is one row of the table.
type Rule struct {
	Roles []registry.Role // who may; nil means every role
	Where Where
}

// Table is who may do what where. Docs/contract.md shows it to users.
var Table = map[Action]Rule{
	Act:       {Roles: nil, Where: PagedOrServes},
	Emergency: {Roles: overseers, Where: Serves},
	Audit:     {Roles: overseers, Where: Anywhere},
	Cards:     {Roles: overseers, Where: Serves},
	Rules:     {Roles: overseers, Where: Anywhere},
	Silence:   {Roles: overseers, Where: Serves},
	Broadcast: {Roles: []registry.Role{registry.SecurityRoom, registry.CommandCenter, registry.GridLeader}, Where: Serves},
	// Commands and commissioning drive the hardware of the cells the
	// security room watches: no grid member, leader or command centre.
	Command:    {Roles: []registry.Role{registry.SecurityRoom}, Where: Serves},
	Commission: {Roles: []registry.Role{registry.SecurityRoom}, Where: Serves},
}

var overseers = []registry.Role{registry.SecurityRoom, registry.CommandCenter}

// consoleRole is the role the local console holds.
const consoleRole = registry.SecurityRoom

// Target is what an action is done to.
type Target struct {
	// Grid is the cell acted on; "" is the whole site.
	Grid string
	// Paged says the caller was paged for the alarm (Act only).
	Paged bool
}

// Check reports whether who may do a at t under reg: nil when they may,
// else an error saying why not. Callers wrap it with their own ErrForbidden
// (and audit it).
func Check(reg *registry.Registry, who Caller, a Action, t Target) error {
	if err := CheckRole(reg, who, a); err != nil {
		return err
	}
	if who.account != "" {
		return nil // CheckRole let the account do a; accounts hold every cell
	}
	staff, _ := reg.Staff(who.ID)
	switch Table[a].Where {
	case Anywhere:
		return nil
	case PagedOrServes:
		if t.Paged || who.console || reg.Serves(staff, t.Grid) {
			return nil
		}
		return fmt.Errorf("%s was not paged for it and does not serve cell %q or a cell above it", who.ID, t.Grid)
	}
	if who.console {
		return nil
	}
	if missing, ok := reg.ServesScope(staff, t.Grid); !ok {
		if t.Grid != "" {
			return fmt.Errorf("%s does not serve cell %s or a cell above it", who.ID, t.Grid)
		}
		return fmt.Errorf("the whole site: %s does not serve root cell %q", who.ID, missing)
	}
	return nil
}

// CheckRole is Check of the caller's role alone, for a list that is then
// cut down to the cells the caller serves (ServesCell).
func CheckRole(reg *registry.Registry, who Caller, a Action) error {
	rule, ok := Table[a]
	if !ok {
		return fmt.Errorf("%s: no such action", a)
	}
	if who.account != "" {
		may, known := accountMay[who.account]
		if !known || may != nil && !slices.Contains(may, a) {
			return fmt.Errorf("%s is %s; an %s may not %s", who.ID, who.account, who.account, verb(a))
		}
		return nil
	}
	role, ok := roleOf(reg, who)
	if !ok {
		return fmt.Errorf("%q is not a staff member", who.ID)
	}
	if rule.Roles != nil && !slices.Contains(rule.Roles, role) {
		return fmt.Errorf("%s is %s; only %s may %s", who.ID, role, roleList(rule.Roles), verb(a))
	}
	return nil
}

// ServesCell reports whether who serves grid or a cell above it (the
// console and the config accounts serve every cell); grid "" (a device in
// no cell, unregistered) is the whole site, served by who serves every
// root cell. It filters lists by what a caller may see.
func ServesCell(reg *registry.Registry, who Caller, grid string) bool {
	if who.WholeSite() {
		return true
	}
	s, ok := reg.Staff(who.ID)
	if !ok {
		return false
	}
	_, serves := reg.ServesScope(s, grid)
	return serves
}

func roleOf(reg *registry.Registry, who Caller) (registry.Role, bool) {
	if who.console {
		return consoleRole, true
	}
	s, ok := reg.Staff(who.ID)
	if !ok {
		return "", false
	}
	return s.Role, true
}

func roleList(roles []registry.Role) string {
	out := ""
	for i, r := range roles {
		switch {
		case i == 0:
		case i == len(roles)-1:
			out += " or "
		default:
			out += ", "
		}
		out += string(r)
	}
	return out
}

func verb(a Action) string {
	switch a {
	case Act:
		return "act on alarms"
	case Emergency:
		return "switch emergency mode"
	case Audit:
		return "read the audit log"
	case Cards:
		return "see the access cards"
	case Rules:
		return "reload the rules"
	case Silence:
		return "set or remove silences"
	case Broadcast:
		return "broadcast"
	case Command:
		return "send commands to devices"
	case Commission:
		return "commission devices"
	}
	return string(a)
}
