package device

import (
	"math"
	"math/rand/v2"
	"time"
)

// telemetry is the slowly drifting state a light box reports: a 12 V
// battery on float charge, mains, cabinet temperature and 4G signal.
type telemetry struct {
	batteryV float64
	mains    bool
	tempC    float64
	rssiDBm  float64
}

// The bounds the random walks stay within.
const (
	batteryMin, batteryMax = 11.8, 13.8
	tempMin, tempMax       = -20.0, 65.0
	rssiMin, rssiMax       = -110.0, -50.0
)

func newTelemetry(rng *rand.Rand) telemetry {
	return telemetry{
		batteryV: 13.2 + rng.Float64()*0.4,
		mains:    true,
		tempC:    18 + rng.Float64()*14,
		rssiDBm:  -95 + rng.Float64()*30,
	}
}

// step moves every value a little, as one heartbeat interval would.
func (t *telemetry) step(rng *rand.Rand) {
	t.batteryV = clamp(t.batteryV+(rng.Float64()-0.5)*0.04, batteryMin, batteryMax)
	t.tempC = clamp(t.tempC+(rng.Float64()-0.5)*0.6, tempMin, tempMax)
	t.rssiDBm = clamp(t.rssiDBm+(rng.Float64()-0.5)*4, rssiMin, rssiMax)
}

// payload is the flat JSON object of R/dev/{id}/tel.
func (t telemetry) payload(now time.Time) map[string]any {
	return map[string]any{
		"ts":        now.UnixMilli(),
		"battery_v": round(t.batteryV, 2),
		"mains":     t.mains,
		"temp_c":    round(t.tempC, 1),
		"rssi_dbm":  math.Round(t.rssiDBm),
	}
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}
