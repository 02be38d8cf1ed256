// Package registry is the site's register of grid cells, staff and devices:
// the grid tree every escalation walks, who serves where, and what each
// device is and where it sits. It is read from one YAML file, strictly, and
// swapped whole on reload.
package registry

import (
	"sort"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Role is a staff member's job in the grid.
type Role string

// Staff roles. The names are part of the registry contract.
const (
	GridMember    Role = "grid_member"    // 网格员
	GridLeader    Role = "grid_leader"    // 网格长
	Police        Role = "police"         // 网格民警
	SecurityRoom  Role = "security_room"  // 监控室
	CommandCenter Role = "command_center" // 指挥中心
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case GridMember, GridLeader, Police, SecurityRoom, CommandCenter:
		return true
	}
	return false
}

// Kind is what sort of device a device is.
type Kind string

// Device kinds.
const (
	Lightbox Kind = "lightbox"
	Camera   Kind = "camera"
	Reader   Kind = "reader"
	IO       Kind = "io"
)

// Valid reports whether k is a known device kind.
func (k Kind) Valid() bool {
	switch k {
	case Lightbox, Camera, Reader, IO:
		return true
	}
	return false
}

// Grid is one cell of the grid tree. Level 1 is the county, 5 a compound.
type Grid struct {
	ID     string `yaml:"id" json:"id"`
	Name   string `yaml:"name" json:"name"`
	Level  int    `yaml:"level" json:"level"`
	Parent string `yaml:"parent,omitempty" json:"parent,omitempty"`
}

// Staff is a person who receives escalations for the cells they serve.
type Staff struct {
	ID    string   `yaml:"id" json:"id"`
	Name  string   `yaml:"name" json:"name"`
	Role  Role     `yaml:"role" json:"role"`
	Grids []string `yaml:"grids" json:"grids"`
	Phone string   `yaml:"phone,omitempty" json:"phone,omitempty"`
	// Channels is the order pages try for this person, each one a
	// fallback for the one before; empty means DefaultChannels.
	Channels []Channel `yaml:"channels,omitempty" json:"channels,omitempty"`
	// PasswordHash (argon2id or bcrypt, from "gridwatchd passwd") is the
	// person's credential: the phone app logs into the embedded MQTT
	// broker as ID with it, and HTTP logins use the same hash. Never
	// served by the API.
	PasswordHash string `yaml:"password_hash,omitempty" json:"-"`
}

// Channel is a way to page a person.
type Channel string

// Channels a staff member can be paged through.
const (
	// ChannelApp is the phone app over MQTT (R/staff/{id}/notify).
	ChannelApp Channel = "app"
	// ChannelSMS is a text through the configured SMS gateway, to Phone.
	ChannelSMS Channel = "sms"
)

// DefaultChannels is the app, then SMS when the app cannot be reached.
var DefaultChannels = []Channel{ChannelApp, ChannelSMS}

// PageOrder is s's channels in the order to try them.
func (s *Staff) PageOrder() []Channel {
	if len(s.Channels) == 0 {
		return DefaultChannels
	}
	return s.Channels
}

// OSDP places a reader on an RS-485 OSDP bus.
type OSDP struct {
	Port    string `yaml:"port" json:"port"`
	Address int    `yaml:"address" json:"address"`
	// Format is the Wiegand layout of its cards (h10301, h10306, zk34);
	// empty: chosen by bit count.
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// Key makes the reader secure: "default" (install key) or its
	// 32-hex-digit SCBK. Never shown by the API.
	Key string `yaml:"key,omitempty" json:"-"`
	// Provision lets the gateway move a reader still on the install key to
	// Key (commissioning only).
	Provision bool `yaml:"provision,omitempty" json:"provision,omitempty"`
	// Door, when set, makes access decisions at this reader from the
	// registry's cards and follows its door contact.
	Door *Door `yaml:"door,omitempty" json:"door,omitempty"`
}

// Modbus places an I/O module on an RS-485 Modbus RTU bus.
type Modbus struct {
	Port    string `yaml:"port" json:"port"`
	Unit    int    `yaml:"unit" json:"unit"`
	Profile string `yaml:"profile,omitempty" json:"profile,omitempty"`
}

// Group is a named list of staff that escalation steps can page as one
// (a duty roster, the police station's night shift).
type Group struct {
	ID    string   `yaml:"id" json:"id"`
	Name  string   `yaml:"name,omitempty" json:"name,omitempty"`
	Staff []string `yaml:"staff" json:"staff"`
}

// DefaultHeartbeat is the heartbeat interval of a device that names none.
const DefaultHeartbeat = 60 * time.Second

// Device is one piece of hardware in exactly one grid cell.
type Device struct {
	ID        string            `yaml:"id" json:"id"`
	Kind      Kind              `yaml:"kind" json:"kind"`
	Grid      string            `yaml:"grid" json:"grid"`
	Name      string            `yaml:"name,omitempty" json:"name,omitempty"`
	Location  *event.Location   `yaml:"location,omitempty" json:"location,omitempty"`
	Cameras   []string          `yaml:"cameras,omitempty" json:"cameras,omitempty"`
	Heartbeat time.Duration     `yaml:"heartbeat,omitempty" json:"heartbeat,omitempty"`
	OSDP      *OSDP             `yaml:"osdp,omitempty" json:"osdp,omitempty"`
	Modbus    *Modbus           `yaml:"modbus,omitempty" json:"modbus,omitempty"`
	RTP       *RTP              `yaml:"rtp,omitempty" json:"rtp,omitempty"`
	RTSP      *RTSP             `yaml:"rtsp,omitempty" json:"rtsp,omitempty"`
	Attrs     map[string]string `yaml:"attrs,omitempty" json:"attrs,omitempty"`
	// TelemetryThresholds are the device's own telemetry thresholds, by
	// field; each replaces whole the one its kind has (see Thresholds).
	TelemetryThresholds map[string]Threshold `yaml:"telemetry_thresholds,omitempty" json:"telemetry_thresholds,omitempty"`
	// PasswordHash (argon2id or bcrypt) is the device's credential: it
	// logs into the embedded MQTT broker as ID with it. Never served by
	// the API.
	PasswordHash string `yaml:"password_hash,omitempty" json:"-"`
}

// Credential returns the password hash a device or staff member with id
// logs into the MQTT broker with. ok is false when there is none, or when
// a device and a staff member share the id and both have one (the
// registry refuses that; this is the guard of last resort).
func (r *Registry) Credential(id string) (hash string, ok bool) {
	var d, s string
	if dev, found := r.devices[id]; found {
		d = dev.PasswordHash
	}
	if m, found := r.staff[id]; found {
		s = m.PasswordHash
	}
	switch {
	case d != "" && s != "":
		return "", false
	case d != "":
		return d, true
	case s != "":
		return s, true
	}
	return "", false
}

// Registry is an immutable, indexed view of one registry file. Build it
// with Parse or Load; replace it whole on reload.
type Registry struct {
	grids   map[string]*Grid
	staff   map[string]*Staff
	devices map[string]*Device
	groups  map[string]*Group
	cards   map[string][]*Card // by card number
	// buses are RS-485 line settings by port; profiles the site's Modbus
	// profiles by id.
	buses    map[string]*Bus
	profiles map[string]*ModbusProfile
	// byCell maps grid id → role → staff serving that exact cell.
	byCell map[string]map[Role][]*Staff
	// thresholds are each device's telemetry thresholds in force;
	// thresholdTypes the events any of them journals.
	thresholds     map[string][]FieldThreshold
	thresholdTypes map[string]bool
}

// newRegistry indexes already-validated lists.
func newRegistry(grids []Grid, staff []Staff, devices []Device, groups []Group, cards []Card) *Registry {
	r := &Registry{
		cards:    make(map[string][]*Card),
		buses:    make(map[string]*Bus),
		profiles: make(map[string]*ModbusProfile),
		groups:   make(map[string]*Group, len(groups)),
		grids:    make(map[string]*Grid, len(grids)),
		staff:    make(map[string]*Staff, len(staff)),
		devices:  make(map[string]*Device, len(devices)),
		byCell:   make(map[string]map[Role][]*Staff),
	}
	for i := range grids {
		r.grids[grids[i].ID] = &grids[i]
	}
	for i := range staff {
		s := &staff[i]
		r.staff[s.ID] = s
		for _, g := range s.Grids {
			if r.byCell[g] == nil {
				r.byCell[g] = make(map[Role][]*Staff)
			}
			r.byCell[g][s.Role] = append(r.byCell[g][s.Role], s)
		}
	}
	for i := range groups {
		r.groups[groups[i].ID] = &groups[i]
	}
	for i := range cards {
		r.cards[cards[i].Card] = append(r.cards[cards[i].Card], &cards[i])
	}
	for i := range devices {
		d := &devices[i]
		if d.Heartbeat == 0 {
			d.Heartbeat = DefaultHeartbeat
		}
		r.devices[d.ID] = d
	}
	return r
}

// Device returns the device with the given id.
func (r *Registry) Device(id string) (*Device, bool) {
	d, ok := r.devices[id]
	return d, ok
}

// Grid returns the grid cell with the given id.
func (r *Registry) Grid(id string) (*Grid, bool) {
	g, ok := r.grids[id]
	return g, ok
}

// Staff returns the staff member with the given id.
func (r *Registry) Staff(id string) (*Staff, bool) {
	s, ok := r.staff[id]
	return s, ok
}

// Group returns the staff group with the given id.
func (r *Registry) Group(id string) (*Group, bool) {
	g, ok := r.groups[id]
	return g, ok
}

// Devices returns every device, sorted by id.
func (r *Registry) Devices() []*Device {
	return sortedValues(r.devices, func(d *Device) string { return d.ID })
}

// Grids returns every grid cell, sorted by id.
func (r *Registry) Grids() []*Grid {
	return sortedValues(r.grids, func(g *Grid) string { return g.ID })
}

// StaffList returns every staff member, sorted by id.
func (r *Registry) StaffList() []*Staff {
	return sortedValues(r.staff, func(s *Staff) string { return s.ID })
}

// Ancestors returns the cell itself, then its parent, and so on up to the
// root. It is empty for an unknown cell.
func (r *Registry) Ancestors(gridID string) []*Grid {
	var out []*Grid
	for id := gridID; id != ""; {
		g, ok := r.grids[id]
		if !ok || len(out) > len(r.grids) { // unknown, or a cycle Parse let through
			break
		}
		out = append(out, g)
		id = g.Parent
	}
	return out
}

// InSubtree reports whether gridID is rootID or lies below it.
func (r *Registry) InSubtree(gridID, rootID string) bool {
	for _, g := range r.Ancestors(gridID) {
		if g.ID == rootID {
			return true
		}
	}
	return false
}

// Nearest walks up from gridID (the cell itself first) and returns the
// first cell that has staff in the given role, with those staff. It returns
// nil, nil when no cell on the way up has anyone in that role.
func (r *Registry) Nearest(gridID string, role Role) (*Grid, []*Staff) {
	for _, g := range r.Ancestors(gridID) {
		if s := r.byCell[g.ID][role]; len(s) > 0 {
			return g, s
		}
	}
	return nil, nil
}

// Serves reports whether staff member s serves gridID or one of its
// ancestors (so the cell lies in their subtree).
func (r *Registry) Serves(s *Staff, gridID string) bool {
	for _, g := range s.Grids {
		if r.InSubtree(gridID, g) {
			return true
		}
	}
	return false
}

// ServesScope is Serves for a scope that may be the whole site (""): a
// staff member serves the whole site when they serve every root cell. It
// returns the first cell not served ("" when all are).
func (r *Registry) ServesScope(s *Staff, scope string) (missing string, ok bool) {
	if scope != "" {
		return scope, r.Serves(s, scope)
	}
	for _, g := range r.Grids() {
		if g.Parent == "" && !r.Serves(s, g.ID) {
			return g.ID, false
		}
	}
	return "", true
}

func sortedValues[T any](m map[string]*T, key func(*T) string) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}
