package registry

import (
	"fmt"

	"github.com/gridwatch/gridwatch/gateway/event"
	"go.yaml.in/yaml/v3"
)

// newSpot starts the spot of the i-th entry of a list. Its subject is
// "KIND ID" when the entry has a usable id, else "KIND #N" (1-based).
func (d *decoder) newSpot(n *yaml.Node, kind string, i int) spot {
	s := spot{subject: fmt.Sprintf("%s #%d", kind, i+1), line: n.Line, at: map[string]int{}, bad: map[string]bool{}}
	if m := d.deref(n); m.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(m.Content); j += 2 {
			k, v := m.Content[j], m.Content[j+1]
			if k.Value == "id" && v.Kind == yaml.ScalarNode && ValidID(v.Value) {
				s.subject = kind + " " + v.Value
				break
			}
		}
	}
	return s
}

func (d *decoder) grid(n *yaml.Node, i int) entry[Grid] {
	e := entry[Grid]{spot: d.newSpot(n, "grid", i)}
	g, s := &e.v, &e.spot
	s.broken = !d.mapping(n, s, "", func(k, v *yaml.Node) (ok bool) {
		switch key := k.Value; key {
		case "id":
			g.ID, ok = d.str(v, s, key)
		case "name":
			g.Name, ok = d.str(v, s, key)
		case "level":
			g.Level, ok = d.int(v, s, key)
		case "parent":
			g.Parent, ok = d.str(v, s, key)
		default:
			return d.unknown(k, s, "")
		}
		return ok
	})
	return e
}

func (d *decoder) staffMember(n *yaml.Node, i int) entry[Staff] {
	e := entry[Staff]{spot: d.newSpot(n, "staff", i)}
	m, s := &e.v, &e.spot
	s.broken = !d.mapping(n, s, "", func(k, v *yaml.Node) (ok bool) {
		switch key := k.Value; key {
		case "id":
			m.ID, ok = d.str(v, s, key)
		case "name":
			m.Name, ok = d.str(v, s, key)
		case "role":
			var r string
			r, ok = d.str(v, s, key)
			m.Role = Role(r)
		case "grids":
			m.Grids, ok = d.strs(v, s, key)
		case "phone":
			m.Phone, ok = d.str(v, s, key)
		case "password_hash":
			m.PasswordHash, ok = d.str(v, s, key)
		case "channels":
			var cs []string
			cs, ok = d.strs(v, s, key)
			for _, c := range cs {
				m.Channels = append(m.Channels, Channel(c))
			}
		default:
			return d.unknown(k, s, "")
		}
		return ok
	})
	return e
}

func (d *decoder) group(n *yaml.Node, i int) entry[Group] {
	e := entry[Group]{spot: d.newSpot(n, "group", i)}
	g, s := &e.v, &e.spot
	s.broken = !d.mapping(n, s, "", func(k, v *yaml.Node) (ok bool) {
		switch key := k.Value; key {
		case "id":
			g.ID, ok = d.str(v, s, key)
		case "name":
			g.Name, ok = d.str(v, s, key)
		case "staff":
			g.Staff, ok = d.strs(v, s, key)
		default:
			return d.unknown(k, s, "")
		}
		return ok
	})
	return e
}

func (d *decoder) device(n *yaml.Node, i int) entry[Device] {
	e := entry[Device]{spot: d.newSpot(n, "device", i)}
	dev, s := &e.v, &e.spot
	s.broken = !d.mapping(n, s, "", func(k, v *yaml.Node) (ok bool) {
		switch key := k.Value; key {
		case "id":
			dev.ID, ok = d.str(v, s, key)
		case "kind":
			var kind string
			kind, ok = d.str(v, s, key)
			dev.Kind = Kind(kind)
		case "grid":
			dev.Grid, ok = d.str(v, s, key)
		case "name":
			dev.Name, ok = d.str(v, s, key)
		case "location":
			dev.Location = &event.Location{}
			ok = d.location(v, s, dev.Location)
		case "cameras":
			dev.Cameras, ok = d.strs(v, s, key)
		case "heartbeat":
			dev.Heartbeat, ok = d.duration(v, s, key)
		case "osdp":
			dev.OSDP = &OSDP{}
			ok = d.osdp(v, s, dev.OSDP)
		case "modbus":
			dev.Modbus = &Modbus{}
			ok = d.modbus(v, s, dev.Modbus)
		case "rtp":
			dev.RTP = &RTP{}
			ok = d.rtp(v, s, dev.RTP)
		case "rtsp":
			dev.RTSP = &RTSP{}
			ok = d.mapping(v, s, "rtsp.", func(k, v *yaml.Node) (ok bool) {
				if k.Value != "url" {
					return d.unknown(k, s, "rtsp.")
				}
				dev.RTSP.URL, ok = d.str(v, s, "rtsp.url")
				return ok
			})
		case "attrs":
			dev.Attrs, ok = d.strMap(v, s, key)
		case "password_hash":
			dev.PasswordHash, ok = d.str(v, s, key)
		default:
			return d.unknown(k, s, "")
		}
		return ok
	})
	return e
}

func (d *decoder) location(n *yaml.Node, s *spot, loc *event.Location) bool {
	return d.mapping(n, s, "location.", func(k, v *yaml.Node) (ok bool) {
		switch key := "location." + k.Value; k.Value {
		case "lat":
			loc.Lat, ok = d.float(v, s, key)
		case "lon":
			loc.Lon, ok = d.float(v, s, key)
		default:
			return d.unknown(k, s, "location.")
		}
		return ok
	})
}

func (d *decoder) osdp(n *yaml.Node, s *spot, o *OSDP) bool {
	return d.mapping(n, s, "osdp.", func(k, v *yaml.Node) (ok bool) {
		switch key := "osdp." + k.Value; k.Value {
		case "port":
			o.Port, ok = d.str(v, s, key)
		case "address":
			o.Address, ok = d.int(v, s, key)
		case "format":
			o.Format, ok = d.str(v, s, key)
		case "key":
			o.Key, ok = d.str(v, s, key)
		case "provision":
			o.Provision, ok = d.boolean(v, s, key)
		case "door":
			o.Door = new(Door)
			ok = d.door(v, s, o.Door)
		default:
			return d.unknown(k, s, "osdp.")
		}
		return ok
	})
}

func (d *decoder) modbus(n *yaml.Node, s *spot, m *Modbus) bool {
	return d.mapping(n, s, "modbus.", func(k, v *yaml.Node) (ok bool) {
		switch key := "modbus." + k.Value; k.Value {
		case "port":
			m.Port, ok = d.str(v, s, key)
		case "unit":
			m.Unit, ok = d.int(v, s, key)
		case "profile":
			m.Profile, ok = d.str(v, s, key)
		default:
			return d.unknown(k, s, "modbus.")
		}
		return ok
	})
}
