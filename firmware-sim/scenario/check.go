package scenario

import (
	"errors"
	"fmt"

	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Check reports every device and phone of the script that the registry
// does not know, so a typo fails before anything is sent.
func (s *Script) Check(reg *registry.Registry) error {
	var errs []error
	for _, st := range s.Steps {
		if st.Device != "" {
			d, ok := reg.Device(st.Device)
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s: device %s is not in the registry", st.Where(s.File), st.Device))
			case st.Kind == ExpectCommand && (d.OSDP != nil || d.Modbus != nil || d.Kind == registry.IO):
				errs = append(errs, fmt.Errorf("%s: device %s is wired to a serial line (OSDP or Modbus): its commands do not go over MQTT, where a scenario sees them", st.Where(s.File), st.Device))
			}
		}
		if st.Phone != "" {
			if _, ok := reg.Staff(st.Phone); !ok {
				errs = append(errs, fmt.Errorf("%s: phone %s is not a staff member in the registry", st.Where(s.File), st.Phone))
			}
		}
		if g := st.Broadcast.Grid; st.Kind == Broadcast && g != "" {
			if _, ok := reg.Grid(g); !ok {
				errs = append(errs, fmt.Errorf("%s: broadcast grid %s is not in the registry", st.Where(s.File), g))
			}
		}
		if d := st.Expect.Device; d != "" {
			if _, ok := reg.Device(d); !ok {
				errs = append(errs, fmt.Errorf("%s: expected device %s is not in the registry", st.Where(s.File), d))
			}
		}
	}
	return errors.Join(errs...)
}
