package clips

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Config.
const (
	DefaultPre          = 30 * time.Second
	DefaultPost         = 20 * time.Second
	DefaultWorkers      = 4
	DefaultQueue        = 256
	DefaultMaxAge       = 30 * 24 * time.Hour
	DefaultMaxBytes     = 20 << 30 // 20 GiB
	DefaultMinFreeBytes = 1 << 30  // 1 GiB left to the journal and the alarm store
	DefaultStillTimeout = 20 * time.Second
	DefaultSweepEvery   = time.Minute
	// recordSlack is how long a clip may take beyond its post-roll
	// before its recording is given up.
	recordSlack = time.Minute
)

// Config is what a Service needs. Dir, Recorder and Desk are required.
type Config struct {
	// Dir holds the clips (data_dir/clips); it is created.
	Dir      string
	Recorder Recorder
	Desk     Desk
	// Pre and Post are the seconds of video before and after the press.
	Pre, Post time.Duration
	// Workers bound the clips recorded at once; Queue the jobs waiting.
	Workers, Queue int
	// MaxAge and MaxBytes bound what is kept (0: no bound); clips of open
	// alarms are kept regardless.
	MaxAge   time.Duration
	MaxBytes int64
	// MinFreeBytes is the free space of Dir's filesystem a clip never
	// takes: below it no clip is recorded, and closed alarms' clips go,
	// oldest first, until it is free again.
	MinFreeBytes int64
	// FFmpeg is the ffmpeg that takes the stills; "" takes none.
	FFmpeg       string
	StillTimeout time.Duration
	SweepEvery   time.Duration
	// Free reports the free bytes of a directory's filesystem; nil reads
	// the filesystem (statfs). Tests set it.
	Free       func(dir string) (int64, error)
	Now        func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// job is one camera's clip of one alarm.
type job struct {
	alarmID, camera string
	at              time.Time
}

func (j job) key() string { return j.alarmID + "/" + j.camera }

// Service records, attaches, serves and sweeps the clips. Publish (the
// desk's Board) starts the recording of the clips an alarm plans; Run
// owns the workers and the sweep.
type Service struct {
	cfg  Config
	log  *slog.Logger
	m    *metrics
	jobs chan job
	wake chan struct{} // capacity 1: refused jobs to report

	mu      sync.Mutex
	started map[string]bool // alarm/camera keys queued or recorded by this process
	active  map[string]int  // alarm id → clips being recorded now
	refused []refusal       // jobs the full queue could not take, for Run to report
}

type refusal struct {
	j   job
	why string
}

// New checks cfg and builds a service. It starts nothing; call Run.
func New(cfg Config) (*Service, error) {
	var errs []error
	if cfg.Dir == "" {
		errs = append(errs, errors.New("no directory"))
	}
	if cfg.Recorder == nil {
		errs = append(errs, errors.New("no recorder"))
	}
	if cfg.Desk == nil {
		errs = append(errs, errors.New("no escalation desk"))
	}
	if cfg.Pre < 0 || cfg.Post < 0 || cfg.Workers < 0 || cfg.Queue < 0 || cfg.MaxAge < 0 || cfg.MaxBytes < 0 || cfg.MinFreeBytes < 0 {
		errs = append(errs, fmt.Errorf("negative pre %v, post %v, workers %d, queue %d, max age %v, max bytes %d or min free %d",
			cfg.Pre, cfg.Post, cfg.Workers, cfg.Queue, cfg.MaxAge, cfg.MaxBytes, cfg.MinFreeBytes))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("clips: %w", errors.Join(errs...))
	}
	if cfg.Pre == 0 && cfg.Post == 0 {
		cfg.Pre, cfg.Post = DefaultPre, DefaultPost
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Queue == 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.StillTimeout == 0 {
		cfg.StillTimeout = DefaultStillTimeout
	}
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = DefaultSweepEvery
	}
	if cfg.Free == nil {
		cfg.Free = freeBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, log: cfg.Logger, m: m, jobs: make(chan job, cfg.Queue), wake: make(chan struct{}, 1),
		started: make(map[string]bool), active: make(map[string]int)}, nil
}

// Publish takes an alarm's change (the desk's Board calls it, in order,
// from its own goroutine) and queues a recording for each clip the alarm
// planned that is not queued yet. It never blocks: a full queue fails the
// clip (reported by Run) and counts it.
func (s *Service) Publish(a alarm.Alarm) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range a.Clips {
		j := job{alarmID: a.ID, camera: c.Camera, at: time.UnixMilli(c.AtMS)}
		if c.State != alarm.ClipRecording {
			delete(s.started, j.key()) // final: never queued again, nothing to remember
			continue
		}
		if s.started[j.key()] {
			continue
		}
		s.started[j.key()] = true
		select {
		case s.jobs <- j:
			s.m.queued.Inc()
		default:
			s.m.outcome(outcomeDropped)
			s.refused = append(s.refused, refusal{j: j, why: fmt.Sprintf("the clip queue is full (%d waiting)", s.cfg.Queue)})
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
}

// Run records queued clips, Workers at a time, and every SweepEvery
// settles the clips a stop cut short and sweeps the directory, until ctx
// is done; it waits for the recordings under way (their contexts end with
// ctx) before it returns.
func (s *Service) Run(ctx context.Context) error {
	if err := os.MkdirAll(s.cfg.Dir, 0o750); err != nil {
		return fmt.Errorf("clips: %w", err)
	}
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() { s.work(ctx) })
	}
	defer wg.Wait()
	s.settle(ctx)
	s.sweep()
	t := time.NewTicker(s.cfg.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
			s.reportRefused(ctx)
		case <-t.C:
			s.settle(ctx)
			s.sweep()
		}
	}
}

func (s *Service) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.jobs:
			s.m.queued.Dec()
			s.setActive(j.alarmID, 1)
			c := s.record(ctx, j)
			s.setActive(j.alarmID, -1)
			s.attach(ctx, j.alarmID, c)
		}
	}
}

func (s *Service) setActive(id string, d int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active[id] += d
	if s.active[id] <= 0 {
		delete(s.active, id)
	}
	s.m.active.Add(float64(d))
}

func (s *Service) reportRefused(ctx context.Context) {
	s.mu.Lock()
	rs := s.refused
	s.refused = nil
	s.mu.Unlock()
	for _, r := range rs {
		s.log.Warn("alarm clip not recorded", "alarm", r.j.alarmID, "camera", r.j.camera, "err", r.why)
		s.attach(ctx, r.j.alarmID, alarm.Clip{Camera: r.j.camera, State: alarm.ClipFailed, AtMS: r.j.at.UnixMilli(), Error: r.why})
	}
}

// attach lands a clip's outcome on its alarm.
func (s *Service) attach(ctx context.Context, alarmID string, c alarm.Clip) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.cfg.Desk.AttachClip(ctx, alarmID, c); err != nil {
		s.log.Warn("clip outcome not attached to its alarm", "alarm", alarmID, "camera", c.Camera, "state", c.State, "err", err)
	}
}

// settle ends the clips of open alarms that a stop cut short (or that the
// desk loaded from its store and never showed again): those planned
// here and never queued whose post-roll ended more than recordSlack ago
// (a press of this run is queued by Publish within moments of its raise).
// A whole file (written by rename) is ready, anything else failed.
func (s *Service) settle(ctx context.Context) {
	cutoff := s.cfg.Now().Add(-s.cfg.Post - recordSlack)
	open, err := s.cfg.Desk.List(alarm.Filter{State: alarm.FilterOpen, Limit: alarm.MaxLimit})
	if err != nil {
		s.log.Warn("clips: open alarms not read; clips cut short by a stop stay recording", "err", err)
		return
	}
	for _, a := range open {
		for _, c := range a.Clips {
			if c.State != alarm.ClipRecording {
				continue
			}
			j := job{alarmID: a.ID, camera: c.Camera, at: time.UnixMilli(c.AtMS)}
			if !j.at.Before(cutoff) {
				continue
			}
			s.mu.Lock()
			seen := s.started[j.key()]
			s.started[j.key()] = true
			s.mu.Unlock()
			if seen {
				continue
			}
			out := alarm.Clip{Camera: c.Camera, State: alarm.ClipFailed, AtMS: c.AtMS,
				Error: "interrupted: the gateway stopped while recording"}
			if p, err := s.path(a.ID, c.Camera, "mp4"); err == nil {
				if st, err := os.Stat(p); err == nil && st.Size() > 0 {
					out = alarm.Clip{Camera: c.Camera, State: alarm.ClipReady, AtMS: c.AtMS, Bytes: st.Size()}
					if _, err := os.Stat(s.mustPath(a.ID, c.Camera, "jpg")); err == nil {
						out.Still = alarm.ClipURL(a.ID, c.Camera, "jpg")
					}
				}
			}
			s.m.outcome(string(out.State))
			s.attach(ctx, a.ID, out)
		}
	}
}
