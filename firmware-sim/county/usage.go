package county

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is a process whose CPU and memory a run reports (a nats-server
// node, a county view), read from /proc (Linux).
type Proc struct {
	Name string
	PID  int
}

// ParseProcs parses "name=pid,name=pid".
func ParseProcs(s string) ([]Proc, error) {
	var ps []Proc
	for part := range strings.SplitSeq(s, ",") {
		if part == "" {
			continue
		}
		name, pid, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil || n <= 0 || name == "" {
			return nil, fmt.Errorf("-watch %q: want name=pid[,name=pid...]", part)
		}
		ps = append(ps, Proc{Name: name, PID: n})
	}
	return ps, nil
}

// Usage is a process's CPU over the run and its memory at the end.
type Usage struct {
	Name       string  `json:"name"`
	PID        int     `json:"pid,omitempty"`
	CPUSeconds float64 `json:"cpu_seconds"`
	Cores      float64 `json:"cores"` // CPU seconds per second of the run
	RSSMB      float64 `json:"rss_mb"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
	Err        string  `json:"error,omitempty"`
}

func (u Usage) String() string {
	if u.Err != "" {
		return fmt.Sprintf("%s (pid %d): %s", u.Name, u.PID, u.Err)
	}
	return fmt.Sprintf("%-10s cpu %6.1f s (%.2f cores)  rss %6.1f MB  peak %6.1f MB", u.Name, u.CPUSeconds, u.Cores, u.RSSMB, u.PeakRSSMB)
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuSeconds reads a process's user+system CPU time.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; the fields after it do not.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseFloat(f[11], 64) // field 14
	st, err2 := strconv.ParseFloat(f[12], 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return (ut + st) / clockTicks, nil
}

// memMB reads VmRSS and VmHWM (peak) in MB.
func memMB(pid int) (rss, peak float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			rss = kb / 1024
		case "VmHWM":
			peak = kb / 1024
		}
	}
	return rss, peak, nil
}

// sampleAll reads the CPU time of each process at the start.
func sampleAll(ps []Proc) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i], _ = cpuSeconds(p.PID)
	}
	return out
}

// sampleSince reports each process's CPU since before and its memory now.
func sampleSince(before []float64, ps []Proc, d time.Duration) []Usage {
	var us []Usage
	for i, p := range ps {
		u := Usage{Name: p.Name, PID: p.PID}
		cpu, err := cpuSeconds(p.PID)
		if err == nil {
			u.RSSMB, u.PeakRSSMB, err = memMB(p.PID)
		}
		if err != nil {
			u.Err = err.Error()
		}
		u.CPUSeconds = round1(cpu - before[i])
		u.Cores = round2((cpu - before[i]) / d.Seconds())
		us = append(us, u)
	}
	return us
}

// selfCPU is this process's CPU time so far.
type selfCPU float64

func selfUsage() selfCPU {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return selfCPU(tv(ru.Utime) + tv(ru.Stime))
}

func (s selfCPU) since(now selfCPU, d time.Duration) Usage {
	u := Usage{Name: "gridsim", PID: os.Getpid(), CPUSeconds: round1(float64(now - s)), Cores: round2(float64(now-s) / d.Seconds())}
	u.RSSMB, u.PeakRSSMB, _ = memMB(os.Getpid())
	return u
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }
