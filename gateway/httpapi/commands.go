package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// DeviceCommands sends a device a command for a caller and waits for the
// device's answer, whatever its transport (MQTT, an OSDP or Modbus line).
type DeviceCommands interface {
	// Command checks that who may command c.Device (permit.Command),
	// sends c and waits until the device answers or ctx is done; a ctx
	// that ends first gives a CommandResult with outcome "timeout". An
	// unknown device, a refusal or a device that cannot be reached is an
	// error with an HTTP status (404, 403, 503).
	Command(ctx context.Context, who permit.Caller, c event.Command) (CommandResult, error)
}

// CommandResult is how a device answered a command.
type CommandResult struct {
	ID      string `json:"cid"`
	Device  string `json:"device"`
	Cmd     string `json:"cmd"`
	Outcome string `json:"outcome"` // ok, failed (the device said no), timeout
	Error   string `json:"error,omitempty"`
	SentMS  int64  `json:"sent_ms"`
	AckMS   int64  `json:"ack_ms,omitempty"`     // when the answer came
	Latency int64  `json:"latency_ms,omitempty"` // AckMS − SentMS
}

// DefaultCommandWait is how long POST /api/v1/devices/{id}/commands
// waits for the device's answer before it answers 504; ?wait= asks for
// another wait up to MaxCommandWait.
const (
	DefaultCommandWait = 15 * time.Second
	MaxCommandWait     = time.Minute
)

// commandBody is the body of POST /api/v1/devices/{id}/commands: the MQTT
// contract's command, plus "by" for the local console.
type commandBody struct {
	Cmd  string         `json:"cmd"`
	Args map[string]any `json:"args"`
	By   string         `json:"by"`
}

func (s *Server) handleDeviceCommand(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	wait := s.cfg.CommandWait
	if wait <= 0 {
		wait = DefaultCommandWait
	}
	for k, v := range r.URL.Query() {
		d, err := time.ParseDuration(v[0])
		if k != "wait" || len(v) != 1 || err != nil || d < 100*time.Millisecond || d > MaxCommandWait {
			writeError(w, http.StatusBadRequest, "%s takes only ?wait=, a duration from 100ms to %s (default %s)", r.URL.Path, MaxCommandWait, wait)
			return
		}
		wait = d
	}
	id := r.PathValue("id")
	if !event.ValidID(id) {
		writeError(w, http.StatusBadRequest, "%q is not a valid device id", id)
		return
	}
	var body commandBody
	if err := decodeBody(w, r, &body, "cmd, args, by"); err != nil {
		writeRequestError(w, err)
		return
	}
	if !event.ValidID(body.Cmd) {
		writeError(w, http.StatusBadRequest, `body must give "cmd", a command name such as "strobe" ([A-Za-z0-9._-]{1,64})`)
		return
	}
	who, err := s.actor(caller, body.By)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	// The wait may outlast the server's write timeout: give this answer
	// its own deadline, past the wait.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(wait + s.limits.write))
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	res, err := s.cfg.Commands.Command(ctx, who, event.Command{Device: id, Cmd: body.Cmd, Args: body.Args})
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	if res.AckMS != 0 && res.SentMS != 0 {
		res.Latency = res.AckMS - res.SentMS
	}
	code := http.StatusOK
	if res.Outcome == "timeout" {
		code = http.StatusGatewayTimeout
		if res.Error == "" {
			res.Error = "no ack within " + wait.String()
		}
	}
	writeJSON(w, code, res)
}
