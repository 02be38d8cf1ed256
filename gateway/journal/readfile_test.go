package journal

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
)

func TestReadFile(t *testing.T) {
	press := `{"device":"lb-0001","type":"button.pressed","ts":1700000000000,"seq":4,"data":{"card":"0042"}}`
	tests := []struct {
		name    string
		content string
		want    []event.Event // when no error
		wantErr string
	}{
		{
			name:    "blank lines, CRLF and no final newline",
			content: "\n" + press + "\r\n   \n" + `{"id":7,"device":"cam-01","type":"motion","ts":5}`,
			want: []event.Event{
				{Device: "lb-0001", Type: event.ButtonPressed, TS: 1700000000000, Seq: 4, Data: map[string]any{"card": "0042"}},
				{ID: 7, Device: "cam-01", Type: event.Motion, TS: 5},
			},
		},
		{name: "empty file", content: ""},
		{name: "not JSON", content: press + "\nhello\n", wantErr: "events.jsonl:2: not a JSON object"},
		{name: "broken JSON", content: `{"device":"lb-0001",` + "\n", wantErr: "events.jsonl:1: bad JSON"},
		{name: "null", content: "null\n", wantErr: "events.jsonl:1: not a JSON object"},
		{name: "array", content: "[" + press + "]\n", wantErr: "events.jsonl:1: not a JSON object"},
		{name: "two objects on a line", content: press + press + "\n", wantErr: "events.jsonl:1: data after the JSON object"},
		{name: "unknown field", content: `{"devise":"lb-0001","type":"x"}`, wantErr: `events.jsonl:1: bad JSON: json: unknown field "devise"`},
		{name: "wrong type", content: `{"device":"lb-0001","type":"x","ts":"noon"}`, wantErr: "events.jsonl:1: bad JSON"},
		{name: "no device", content: `{"type":"motion"}`, wantErr: `events.jsonl:1: event has no "device"`},
		{name: "no type", content: press + "\n\n" + `{"device":"cam-01"}`, wantErr: `events.jsonl:3: event has no "type"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.jsonl")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			var got []event.Event
			err := ReadFile(path, func(ev event.Event) error {
				got = append(got, ev)
				return nil
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadFile error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReadFileStopsAtCallbackError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	content := `{"device":"a","type":"x"}` + "\n" + `{"device":"b","type":"x"}` + "\n" + `{"device":"c","type":"x"}` + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("rule failed")
	var seen []string
	err := ReadFile(path, func(ev event.Event) error {
		seen = append(seen, ev.Device)
		if ev.Device == "b" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "events.jsonl:2") {
		t.Fatalf("ReadFile = %v, want the callback's error at events.jsonl:2", err)
	}
	if !reflect.DeepEqual(seen, []string{"a", "b"}) {
		t.Fatalf("callback saw %v", seen)
	}
	if err := ReadFile(filepath.Join(t.TempDir(), "missing.jsonl"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadFile of a missing file = %v", err)
	}
}

func TestReplayStopsAtCallbackError(t *testing.T) {
	j := mustOpen(t, t.TempDir(), Options{})
	appendN(t, j, 0, 5)
	stop := errors.New("stop")
	var seen []uint64
	err := j.Replay(1, func(ev event.Event) error {
		seen = append(seen, ev.ID)
		if ev.ID == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), segmentName(1)+":3") {
		t.Fatalf("Replay = %v, want the callback's error at line 3", err)
	}
	if !reflect.DeepEqual(seen, []uint64{2, 3}) {
		t.Fatalf("callback saw %v", seen)
	}
}
