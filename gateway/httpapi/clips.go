package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// ErrNoClip is what ClipFiles.Open wraps (or returns) for evidence that
// is not on disk: not recorded, still recording, or swept by retention.
var ErrNoClip = errors.New("no such clip")

// ClipFiles opens an alarm's evidence: ext "mp4" for a camera's video,
// "jpg" for its still. The caller closes the file.
type ClipFiles interface {
	Open(alarmID, camera, ext string) (*os.File, error)
}

// clipTypes are the evidence files served and their content types.
var clipTypes = map[string]string{"mp4": "video/mp4", "jpg": "image/jpeg"}

// handleClip serves GET /api/v1/alarms/{id}/clips/{camera}.mp4 and .jpg:
// a camera's video (with Range requests, so a browser seeks in it) or
// still of an alarm, to those who may see the alarm (its cell or a cell
// above, or paged for it), like GET /api/v1/alarms/{id}.
func (s *Server) handleClip(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	id, file := r.PathValue("id"), r.PathValue("file")
	if err := checkAlarmID(id); err != nil {
		writeRequestError(w, err)
		return
	}
	dot := strings.LastIndexByte(file, '.')
	if dot <= 0 || clipTypes[file[dot+1:]] == "" {
		writeError(w, http.StatusNotFound, "no clip %q: want {camera}.mp4 or {camera}.jpg", clip(file))
		return
	}
	camera, ext := file[:dot], file[dot+1:]
	a, ok, err := s.cfg.Alarms.Get(id)
	switch {
	case err != nil:
		s.deskError(w, r, err)
		return
	case !ok:
		writeError(w, http.StatusNotFound, "no alarm %q", id)
		return
	case !sees(s.registry(), caller, &a):
		s.refuse(w, r, http.StatusForbidden, refusedForbidden, "",
			fmt.Sprintf("%s was not paged for alarm %s and does not serve its cell %q or a cell above it", caller.ID, id, a.Grid))
		return
	}
	i := slices.IndexFunc(a.Clips, func(c alarm.Clip) bool { return c.Camera == camera })
	if i < 0 {
		writeError(w, http.StatusNotFound, "alarm %s has no clip from camera %q", id, clip(camera))
		return
	}
	if c := a.Clips[i]; c.State != alarm.ClipReady {
		if c.State == alarm.ClipRecording {
			retryAfter(w, s.cfg.ClipRetry)
		}
		writeError(w, http.StatusNotFound, "the clip of camera %s for alarm %s is %s%s", camera, id, c.State, errSuffix(c.Error))
		return
	}
	f, err := s.cfg.Clips.Open(id, camera, ext)
	if errors.Is(err, ErrNoClip) {
		writeError(w, http.StatusNotFound, "the %s of camera %s for alarm %s is not kept (no still was made, or retention deleted it)", ext, camera, id)
		return
	}
	if err != nil {
		s.log.Error("http api: clip not opened", "alarm", id, "camera", camera, "err", err)
		writeError(w, http.StatusInternalServerError, "clip not readable")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "clip not readable")
		return
	}
	// Who viewed the evidence: once per viewing (a player's later range
	// requests go to the debug level).
	if rng := r.Header.Get("Range"); rng == "" || strings.HasPrefix(rng, "bytes=0-") {
		s.log.Info("http api: evidence viewed", "alarm", id, "camera", camera, "file", ext, "by", caller.ID, "remote", s.clientAddr(r))
	} else {
		s.log.Debug("http api: evidence range", "alarm", id, "camera", camera, "file", ext, "by", caller.ID, "range", clip(rng))
	}
	w.Header().Set("Content-Type", clipTypes[ext])
	w.Header().Set("Cache-Control", "private, no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, file, st.ModTime(), f)
}

func errSuffix(e string) string {
	if e == "" {
		return ""
	}
	return ": " + e
}
