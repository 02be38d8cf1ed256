package registry

import (
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/passwd"
)

// ValidID reports whether id is a valid grid, staff or device id:
// 1 to 64 characters from A-Z a-z 0-9 . _ - (it is used in MQTT topics).
// It is the contract's one id syntax, event.ValidID.
func ValidID(id string) bool { return event.ValidID(id) }

// Limits of the registry's numbers.
const (
	MinLevel       = 1           // county
	MaxLevel       = 5           // compound
	MinHeartbeat   = time.Second // a shorter heartbeat is a typo
	MaxOSDPAddress = 126         // 127 (0x7F) is the OSDP broadcast address
	MinModbusUnit  = 1           // 0 is the Modbus broadcast address
	MaxModbusUnit  = 247         // 248..255 are reserved
)

// validate checks the decoded entries against each other and the limits.
func (d *decoder) validate(doc *doc) {
	grids := d.validateGrids(doc.grids)
	staff := d.validateStaff(doc.staff, grids)
	d.validateGroups(doc.groups, staff)
	profiles := d.validateModbusProfiles(doc.profiles)
	d.checkKindThresholds(&doc.thresholdsSpot, doc.thresholds)
	devices := d.validateDevices(doc.devices, grids, profiles, doc.thresholds)
	d.validateCards(doc.cards, grids, devices)
	d.checkPorts(doc.devices)
	d.validateBuses(doc.buses, doc.devices)
	d.checkCredentials(doc)
}

// checkCredentials checks every password_hash, and that no device and
// staff member with the same id both have one (the MQTT username would
// name two).
func (d *decoder) checkCredentials(doc *doc) {
	check := func(s *spot, hash string) {
		if !s.good("password_hash") {
			return
		}
		if err := passwd.Check(hash); err != nil {
			d.add(s.lineOf("password_hash"), s.subject, "password_hash: %v", err)
		}
	}
	staff := map[string]*spot{}
	for i := range doc.staff {
		check(&doc.staff[i].spot, doc.staff[i].v.PasswordHash)
		if doc.staff[i].v.PasswordHash != "" {
			staff[doc.staff[i].v.ID] = &doc.staff[i].spot
		}
	}
	for i := range doc.devices {
		dev, s := &doc.devices[i].v, &doc.devices[i].spot
		check(s, dev.PasswordHash)
		if o := staff[dev.ID]; o != nil && dev.PasswordHash != "" {
			d.add(s.lineOf("password_hash"), s.subject, "password_hash: staff %s (line %d) has one too: an MQTT username must name one of them", dev.ID, o.line)
		}
	}
}

// checkID reports a missing, malformed or duplicate id and records good
// ones in seen; it returns whether the id is good and new.
func (d *decoder) checkID(s *spot, id string, seen map[string]*spot) bool {
	switch {
	case !s.has("id"):
		d.add(s.line, s.subject, "id missing")
	case s.bad["id"]:
	case !ValidID(id):
		d.add(s.lineOf("id"), s.subject, "id %q: want 1 to 64 characters from A-Z a-z 0-9 . _ -", id)
	case seen[id] != nil:
		d.add(s.lineOf("id"), s.subject, "duplicate id (first at line %d)", seen[id].lineOf("id"))
	default:
		seen[id] = s
		return true
	}
	return false
}

func (d *decoder) validateGrids(list []entry[Grid]) map[string]*entry[Grid] {
	seen := map[string]*spot{}
	byID := map[string]*entry[Grid]{}
	for i := range list {
		e := &list[i]
		if d.checkID(&e.spot, e.v.ID, seen) {
			byID[e.v.ID] = e
		}
	}
	for i := range list {
		e := &list[i]
		g, s := &e.v, &e.spot
		levelOK := s.good("level") && g.Level >= MinLevel && g.Level <= MaxLevel
		if !s.has("level") {
			d.add(s.line, s.subject, "level missing (want %d..%d)", MinLevel, MaxLevel)
		} else if s.good("level") && !levelOK {
			d.add(s.lineOf("level"), s.subject, "level %d out of range %d..%d", g.Level, MinLevel, MaxLevel)
		}
		if !s.good("parent") || g.Parent == "" {
			continue
		}
		p, ok := byID[g.Parent]
		switch {
		case !ok:
			d.add(s.lineOf("parent"), s.subject, "unknown parent grid %q", g.Parent)
		case p == e:
			d.add(s.lineOf("parent"), s.subject, "grid is its own parent")
		case levelOK && p.good("level") && p.v.Level >= g.Level:
			d.add(s.lineOf("parent"), s.subject, "parent %q has level %d, want a level above %d", g.Parent, p.v.Level, g.Level)
		}
	}
	d.findCycles(list, byID)
	return byID
}

// findCycles reports each loop in the parent chains once, at the line of
// the first grid of the loop in file order.
func (d *decoder) findCycles(list []entry[Grid], byID map[string]*entry[Grid]) {
	const (
		unseen = iota
		onPath
		done
	)
	state := make(map[*entry[Grid]]int, len(list))
	for i := range list {
		var path []*entry[Grid]
		e := &list[i]
		for e != nil && state[e] == unseen {
			state[e] = onPath
			path = append(path, e)
			p := byID[e.v.Parent]
			if p == e { // reported as its own parent
				p = nil
			}
			e = p
		}
		if e != nil && state[e] == onPath {
			loop := path[indexOf(path, e):]
			first := loop[0]
			names := make([]string, 0, len(loop)+1)
			for _, g := range loop {
				names = append(names, g.v.ID)
				if g.line < first.line {
					first = g
				}
			}
			names = append(names, loop[0].v.ID)
			d.add(first.lineOf("parent"), first.subject, "parent chain loops: %s", strings.Join(names, " → "))
		}
		for _, g := range path {
			state[g] = done
		}
	}
}

func indexOf[T comparable](s []T, v T) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func (d *decoder) validateGroups(list []entry[Group], staff map[string]*spot) {
	seen := map[string]*spot{}
	for i := range list {
		g, s := &list[i].v, &list[i].spot
		d.checkID(s, g.ID, seen)
		if s.bad["staff"] {
			continue
		}
		if len(g.Staff) == 0 {
			d.add(s.lineOf("staff"), s.subject, "staff missing: a group has at least one member")
		}
		listed := map[string]bool{}
		for _, id := range g.Staff {
			switch {
			case listed[id]:
				d.add(s.lineOf("staff"), s.subject, "staff %q listed twice", id)
			case staff[id] == nil:
				d.add(s.lineOf("staff"), s.subject, "unknown staff %q", id)
			}
			listed[id] = true
		}
	}
}

// validateStaff checks the staff list and returns the good ids.
func (d *decoder) validateStaff(list []entry[Staff], grids map[string]*entry[Grid]) map[string]*spot {
	seen := map[string]*spot{}
	for i := range list {
		m, s := &list[i].v, &list[i].spot
		d.checkID(s, m.ID, seen)
		switch {
		case !s.has("role"):
			d.add(s.line, s.subject, "role missing")
		case s.good("role") && !m.Role.Valid():
			d.add(s.lineOf("role"), s.subject, "unknown role %q (want grid_member, grid_leader, police, security_room, command_center)", m.Role)
		}
		d.validateChannels(m, s)
		if s.bad["grids"] {
			continue
		}
		if len(m.Grids) == 0 {
			d.add(s.lineOf("grids"), s.subject, "grids missing: a staff member serves at least one grid")
		}
		listed := map[string]bool{}
		for _, g := range m.Grids {
			switch {
			case listed[g]:
				d.add(s.lineOf("grids"), s.subject, "grid %q listed twice", g)
			case grids[g] == nil:
				d.add(s.lineOf("grids"), s.subject, "unknown grid %q", g)
			}
			listed[g] = true
		}
	}
	return seen
}

// validateChannels checks a staff member's page order: known channels,
// each once, SMS only with a phone number.
func (d *decoder) validateChannels(m *Staff, s *spot) {
	if !s.good("channels") {
		return
	}
	if s.has("channels") && len(m.Channels) == 0 {
		d.add(s.lineOf("channels"), s.subject, "channels empty: leave it out for the default (app, sms)")
	}
	listed := map[Channel]bool{}
	for _, c := range m.Channels {
		switch {
		case c != ChannelApp && c != ChannelSMS:
			d.add(s.lineOf("channels"), s.subject, "unknown channel %q (want app or sms)", c)
		case listed[c]:
			d.add(s.lineOf("channels"), s.subject, "channel %q listed twice", c)
		case c == ChannelSMS && m.Phone == "":
			d.add(s.lineOf("channels"), s.subject, "channel sms needs a phone number")
		}
		listed[c] = true
	}
}

// validateDevices checks the devices and returns the good ones by id.
func (d *decoder) validateDevices(list []entry[Device], grids map[string]*entry[Grid], profiles map[string]bool, kinds map[Kind]map[string]Threshold) map[string]*entry[Device] {
	seen := map[string]*spot{}
	byID := map[string]*entry[Device]{}
	for i := range list {
		if d.checkID(&list[i].spot, list[i].v.ID, seen) {
			byID[list[i].v.ID] = &list[i]
		}
	}
	for i := range list {
		dev, s := &list[i].v, &list[i].spot
		switch {
		case !s.has("kind"):
			d.add(s.line, s.subject, "kind missing (want lightbox, camera, reader, io)")
		case s.good("kind") && !dev.Kind.Valid():
			d.add(s.lineOf("kind"), s.subject, "unknown kind %q (want lightbox, camera, reader, io)", dev.Kind)
		}
		switch {
		case !s.has("grid"):
			d.add(s.line, s.subject, "grid missing")
		case s.good("grid") && grids[dev.Grid] == nil:
			d.add(s.lineOf("grid"), s.subject, "unknown grid %q", dev.Grid)
		}
		if s.good("heartbeat") && dev.Heartbeat < MinHeartbeat {
			d.add(s.lineOf("heartbeat"), s.subject, "heartbeat %s is below the minimum %s", dev.Heartbeat, MinHeartbeat)
		}
		d.checkCameras(dev, s, byID)
		d.checkLocation(dev, s)
		d.checkBus(dev, s)
		d.checkModbusProfile(dev, s, profiles)
		d.checkDeviceThresholds(dev, s, kinds)
	}
	return byID
}

func (d *decoder) checkCameras(dev *Device, s *spot, byID map[string]*entry[Device]) {
	if s.bad["cameras"] {
		return
	}
	listed := map[string]bool{}
	for _, c := range dev.Cameras {
		cam := byID[c]
		switch {
		case listed[c]:
			d.add(s.lineOf("cameras"), s.subject, "camera %q listed twice", c)
		case c == dev.ID:
			d.add(s.lineOf("cameras"), s.subject, "lists itself as a camera")
		case cam == nil:
			d.add(s.lineOf("cameras"), s.subject, "unknown camera %q", c)
		case cam.good("kind") && cam.v.Kind != Camera:
			d.add(s.lineOf("cameras"), s.subject, "%q is a %s, not a camera", c, cam.v.Kind)
		}
		listed[c] = true
	}
}

func (d *decoder) checkLocation(dev *Device, s *spot) {
	if dev.Location == nil || s.bad["location"] {
		return
	}
	for _, c := range []struct {
		key string
		v   float64
		max float64
	}{{"location.lat", dev.Location.Lat, 90}, {"location.lon", dev.Location.Lon, 180}} {
		switch {
		case !s.has(c.key):
			d.add(s.lineOf("location"), s.subject, "%s missing", c.key)
		case s.good(c.key) && !(c.v >= -c.max && c.v <= c.max):
			d.add(s.lineOf(c.key), s.subject, "%s %v out of range -%v..%v", c.key, c.v, c.max, c.max)
		}
	}
}

// checkBus checks how the device is attached: OSDP for readers, Modbus for
// I/O modules and light boxes, RTP or RTSP for cameras.
func (d *decoder) checkBus(dev *Device, s *spot) {
	kindKnown := s.good("kind") && dev.Kind.Valid()
	only := func(key string, kinds ...Kind) {
		if !s.has(key) || !kindKnown {
			return
		}
		for _, k := range kinds {
			if dev.Kind == k {
				return
			}
		}
		d.add(s.lineOf(key), s.subject, "%s is not for a %s", key, dev.Kind)
	}
	only("osdp", Reader)
	only("modbus", IO, Lightbox)
	only("rtp", Camera)
	only("rtsp", Camera)
	if dev.OSDP != nil {
		d.required(s, "osdp.port", dev.OSDP.Port)
		d.inRange(s, "osdp.address", dev.OSDP.Address, 0, MaxOSDPAddress)
	}
	if dev.Modbus != nil {
		d.required(s, "modbus.port", dev.Modbus.Port)
		d.inRange(s, "modbus.unit", dev.Modbus.Unit, MinModbusUnit, MaxModbusUnit)
	}
	if s.has("rtp.listen") && s.has("rtsp") {
		d.add(s.lineOf("rtsp"), s.subject, "give rtp or rtsp, not both (with rtsp, rtp may only set thresholds: the gateway listens on loopback)")
	}
	if dev.RTP != nil {
		d.checkRTP(dev.RTP, s, s.has("rtsp"))
	}
	if dev.RTSP != nil {
		d.checkRTSP(dev.RTSP, s)
	}
}

// required reports key missing or empty; it returns whether it has a value.
func (d *decoder) required(s *spot, key, v string) bool {
	if s.bad[key] {
		return false
	}
	if v == "" {
		parent, _, _ := strings.Cut(key, ".")
		d.add(s.lineOf(parent), s.subject, "%s missing", key)
		return false
	}
	return true
}

func (d *decoder) inRange(s *spot, key string, v, lo, hi int) {
	parent, _, _ := strings.Cut(key, ".")
	switch {
	case !s.has(key):
		d.add(s.lineOf(parent), s.subject, "%s missing (want %d..%d)", key, lo, hi)
	case s.good(key) && (v < lo || v > hi):
		d.add(s.lineOf(key), s.subject, "%s %d out of range %d..%d", key, v, lo, hi)
	}
}
