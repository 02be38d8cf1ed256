package thresholds

import "github.com/gridwatch/gridwatch/gateway/registry"

// side is where a sample puts a threshold's condition.
type side int

const (
	inBand side = iota // between the raise and the clear level: no change
	raise              // the raise condition holds
	clear              // the clear condition holds
)

// judge places value v against t; ok is false for a value of the wrong
// type (a string, or a number for a boolean threshold other than 0 or 1).
func judge(t registry.Threshold, v any) (side, bool) {
	switch {
	case t.Equals != nil:
		var b bool
		switch x := v.(type) {
		case bool:
			b = x
		case float64:
			if x != 0 && x != 1 {
				return inBand, false
			}
			b = x == 1
		default:
			return inBand, false
		}
		if b == *t.Equals {
			return raise, true
		}
		return clear, true
	case t.Below != nil && t.Clear != nil:
		x, ok := v.(float64)
		switch {
		case !ok:
			return inBand, false
		case x < *t.Below:
			return raise, true
		case x >= *t.Clear:
			return clear, true
		}
		return inBand, true
	case t.Above != nil && t.Clear != nil:
		x, ok := v.(float64)
		switch {
		case !ok:
			return inBand, false
		case x > *t.Above:
			return raise, true
		case x <= *t.Clear:
			return clear, true
		}
		return inBand, true
	}
	return inBand, true
}

// levels are t's levels for an event's data.
func levels(t registry.Threshold, data map[string]any) {
	switch {
	case t.Equals != nil:
		data["equals"] = *t.Equals
	case t.Below != nil:
		data["below"] = *t.Below
	case t.Above != nil:
		data["above"] = *t.Above
	}
	if t.Clear != nil {
		data["clear"] = *t.Clear
	}
	if t.Hold > 0 {
		data["hold_s"] = t.Hold.Seconds()
	}
}
