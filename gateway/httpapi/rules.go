package httpapi

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/gridwatch/gridwatch/gateway/permit"
)

// Rules is the running rule set as the API sees it: what is loaded, a
// reload from its file, and the silences (maintenance windows, installers'
// test modes) set at run time. Errors may carry their status
// (HTTPStatuser): 400 for a bad silence, 403 for a caller who may not,
// 404 for an unknown silence, 422 for a rule file that was refused.
type Rules interface {
	RuleSet() RuleSet
	// ReloadRules re-reads the rule file for caller who, checking that
	// they may. A refused file leaves the running rules in force and the
	// error lists every problem.
	ReloadRules(ctx context.Context, who permit.Caller) (RuleSet, error)
	Silences() []Silence
	// SetSilence adds a silence, or replaces the one with its id.
	SetSilence(ctx context.Context, s Silence, who permit.Caller) (Silence, error)
	RemoveSilence(ctx context.Context, id string, who permit.Caller) error
}

// RuleSet describes the loaded rules.
type RuleSet struct {
	// Source is the rule file, or "built-in".
	Source   string   `json:"source"`
	LoadedMS int64    `json:"loaded_ms"`
	Rules    []string `json:"rules"`
	// Tests is how many test cases the file carries (all passed at load).
	Tests int `json:"tests"`
}

// Silence mutes raises by device, grid subtree or rule for a while; see
// the README's rule language. Test is an installer's test mode: alarms
// are recorded, marked test, and page nobody.
type Silence struct {
	ID      string   `json:"id"`
	Reason  string   `json:"reason"`
	Devices []string `json:"devices,omitempty"`
	Grids   []string `json:"grids,omitempty"`
	Rules   []string `json:"rules,omitempty"`
	Test    bool     `json:"test,omitempty"`
	// Sirens lets a test mode sound sirens (only with Test).
	Sirens bool      `json:"sirens,omitempty"`
	From   time.Time `json:"from,omitzero"`
	Until  time.Time `json:"until,omitzero"`
	Every  *Weekly   `json:"every,omitempty"`
	// By and SetMS say who set it and when (filled in by the gateway).
	By    string `json:"by,omitempty"`
	SetMS int64  `json:"set_ms,omitempty"`
}

// Weekly repeats a silence on weekdays (0 = Sunday) between two times of
// day ("02:00", "04:00").
type Weekly struct {
	Weekdays []int  `json:"weekdays,omitempty"`
	From     string `json:"from"`
	Until    string `json:"until"`
}

// silenceBody is the body of POST /api/v1/silences.
type silenceBody struct {
	Silence
	By string `json:"by"`
}

// byBody is a body that only names who acts (auth off).
type byBody struct {
	By string `json:"by"`
}

type silenceList struct {
	Silences []Silence `json:"silences"`
}

func (s *Server) handleRuleSet(w http.ResponseWriter, _ *http.Request, _ permit.Caller) {
	writeJSON(w, http.StatusOK, s.cfg.Rules.RuleSet())
}

func (s *Server) handleReloadRules(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	var body byBody
	if err := decodeBody(w, r, &body, "by"); err != nil {
		writeRequestError(w, err)
		return
	}
	who, err := s.actor(caller, body.By)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	set, err := s.cfg.Rules.ReloadRules(r.Context(), who)
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	s.log.Warn("http api: rules reloaded", "source", set.Source, "rules", len(set.Rules), "by", who.ID)
	writeJSON(w, http.StatusOK, set)
}

// handleSilences serves GET /api/v1/silences: the silences that concern
// the caller's cells (see seesSilence).
func (s *Server) handleSilences(w http.ResponseWriter, _ *http.Request, caller permit.Caller) {
	reg := s.registry()
	list := slices.DeleteFunc(slices.Clone(s.cfg.Rules.Silences()), func(x Silence) bool { return !seesSilence(reg, caller, x) })
	if list == nil {
		list = []Silence{}
	}
	writeJSON(w, http.StatusOK, silenceList{Silences: list})
}

func (s *Server) handleSetSilence(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	var body silenceBody
	if err := decodeBody(w, r, &body, "id, reason, devices, grids, rules, test, from, until, every, by"); err != nil {
		writeRequestError(w, err)
		return
	}
	if body.SetMS != 0 {
		writeError(w, http.StatusBadRequest, "set_ms is filled in by the gateway")
		return
	}
	who, err := s.actor(caller, body.By)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	sil, err := s.cfg.Rules.SetSilence(r.Context(), body.Silence, who)
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	s.log.Warn("http api: silence set", "silence", sil.ID, "reason", sil.Reason, "test", sil.Test, "by", who.ID)
	writeJSON(w, http.StatusCreated, sil)
}

func (s *Server) handleRemoveSilence(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	who, err := s.actor(caller, r.URL.Query().Get("by"))
	if err != nil {
		writeRequestError(w, err)
		return
	}
	id := r.PathValue("id")
	if err := s.cfg.Rules.RemoveSilence(r.Context(), id, who); err != nil {
		s.deskError(w, r, err)
		return
	}
	s.log.Warn("http api: silence removed", "silence", id, "by", who.ID)
	w.WriteHeader(http.StatusNoContent)
}
