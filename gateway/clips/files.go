package clips

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// ErrNoFile is returned by Open for evidence that does not exist (not
// recorded, still recording, or swept).
var ErrNoFile = errors.New("no such clip")

// path is the file of camera's clip of alarmID: Dir/{alarm}/{camera}.{ext}.
// Both names must be ids ([A-Za-z0-9._-], not . or ..), so that a name
// never leaves Dir.
func (s *Service) path(alarmID, camera, ext string) (string, error) {
	if !safeName(alarmID) || !safeName(camera) {
		return "", fmt.Errorf("clip of alarm %q, camera %q: not a file name", alarmID, camera)
	}
	if ext != "mp4" && ext != "jpg" {
		return "", fmt.Errorf("clip of alarm %s, camera %s: unknown kind %q", alarmID, camera, ext)
	}
	return filepath.Join(s.cfg.Dir, alarmID, camera+"."+ext), nil
}

func (s *Service) mustPath(alarmID, camera, ext string) string {
	p, _ := s.path(alarmID, camera, ext)
	return p
}

func safeName(s string) bool { return event.ValidID(s) && s != "." && s != ".." && s[0] != '.' }

// Open opens the video ("mp4") or still ("jpg") of camera for an alarm.
// It fails with ErrNoFile when there is none. The caller checks who may
// see the alarm and closes the file.
func (s *Service) Open(alarmID, camera, ext string) (*os.File, error) {
	p, err := s.path(alarmID, camera, ext)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoFile, err)
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: alarm %s, camera %s, %s", ErrNoFile, alarmID, camera, ext)
	}
	if err != nil {
		return nil, fmt.Errorf("clips: %w", err)
	}
	return f, nil
}
