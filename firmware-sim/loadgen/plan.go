package loadgen

import (
	"errors"

	"github.com/gridwatch/gridwatch/firmware-sim/device"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// plan is who takes part in a bench run.
type plan struct {
	boxes  []string // light boxes to press, in rotation
	staff  []string // phones to run
	bgDevs []string // devices the background telemetry comes from
}

// pagedAtStep0 reports whether a staff member is paged at step 0 of a red
// alarm in a cell they serve, under the default escalation policy (docs/config.md): grid
// members and security rooms.
func pagedAtStep0(s *registry.Staff) bool {
	return s.Role == registry.GridMember || s.Role == registry.SecurityRoom
}

// makePlan picks the MQTT light boxes that have someone to page at step 0,
// the staff who would be paged for them, and the first bgDevices MQTT
// devices for background telemetry.
func makePlan(reg *registry.Registry, bgDevices int) (plan, error) {
	var p plan
	mqtt := device.MQTTDevices(reg)
	paged := map[string]bool{}
	for _, d := range mqtt {
		if d.Kind != registry.Lightbox {
			continue
		}
		found := false
		for _, s := range reg.StaffList() {
			if pagedAtStep0(s) && reg.Serves(s, d.Grid) {
				paged[s.ID] = true
				found = true
			}
		}
		if found {
			p.boxes = append(p.boxes, d.ID)
		}
	}
	for _, s := range reg.StaffList() {
		if paged[s.ID] {
			p.staff = append(p.staff, s.ID)
		}
	}
	for _, d := range mqtt[:min(bgDevices, len(mqtt))] {
		p.bgDevs = append(p.bgDevs, d.ID)
	}
	if len(p.boxes) == 0 {
		return p, errors.New("bench: no MQTT light box in the registry has a grid member or security room to page")
	}
	return p, nil
}
