package scenario

import "go.yaml.in/yaml/v3"

// telemetry decodes a flat mapping of field name to number, boolean or
// string, the shape R/dev/{id}/tel carries.
func (p *parser) telemetry(v *yaml.Node) map[string]any {
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		p.add(v.Line, "telemetry: want a mapping of fields like {mains: false, battery_v: 11.2}")
		return nil
	}
	out := make(map[string]any, len(v.Content)/2)
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, f := v.Content[i], v.Content[i+1]
		if !fieldName(k.Value) {
			p.add(k.Line, "telemetry field %q: names use [A-Za-z0-9_]", k.Value)
			continue
		}
		if f.Kind != yaml.ScalarNode || f.Tag == "!!null" {
			p.add(f.Line, "telemetry field %s: want a number, boolean or string", k.Value)
			continue
		}
		var x any
		if err := f.Decode(&x); err != nil {
			p.add(f.Line, "telemetry field %s: %v", k.Value, err)
			continue
		}
		switch x := x.(type) {
		case int:
			out[k.Value] = float64(x)
		case float64, bool, string:
			out[k.Value] = x
		default:
			p.add(f.Line, "telemetry field %s: want a number, boolean or string", k.Value)
		}
	}
	return out
}

func fieldName(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
