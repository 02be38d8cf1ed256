package main

import (
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// reportRow is one device's line of the report.
type reportRow struct {
	ID, Name, Kind, Grid, Outcome, OutcomeZH string
	Checks                                   []reportCheck
	OutOfRange                               string
	Missing                                  string
}

type reportCheck struct {
	Name, State, Latency, Detail string
}

func reportRows(ss session) []reportRow {
	var rows []reportRow
	for _, id := range sortedDevices(ss) {
		d := ss.Devices[id]
		r := reportRow{ID: id, Name: d.Name, Kind: d.Kind, Grid: d.Grid, Outcome: d.Outcome, OutcomeZH: outcomeZH(d.Outcome)}
		for _, c := range d.Expected {
			rc := reportCheck{Name: checkNames[c], State: "—"}
			if m := d.Marks[c]; m != nil {
				rc.State, rc.Detail = "✓", ""
				if !m.OK {
					rc.State, rc.Detail = "✗", m.Detail
				}
				if m.LatencyMS > 0 {
					rc.Latency = strconv.FormatInt(m.LatencyMS, 10) + " ms"
				}
			}
			r.Checks = append(r.Checks, rc)
		}
		var oor []string
		for f, v := range d.OutOfRange {
			oor = append(oor, f+"="+strconv.FormatFloat(v, 'f', -1, 64))
		}
		r.OutOfRange = strings.Join(oor, ", ")
		var miss []string
		for _, c := range d.Missing {
			miss = append(miss, checkNames[c])
		}
		r.Missing = strings.Join(miss, "、")
		rows = append(rows, r)
	}
	return rows
}

// printReport writes the final report to the terminal.
func printReport(w io.Writer, ss session) {
	fmt.Fprintf(w, "\n调试报告 commissioning report — 会话 %s (%s)\n", ss.ID, ss.EndReason)
	for _, r := range reportRows(ss) {
		fmt.Fprintf(w, "%-10s %-4s %-8s", r.ID, r.OutcomeZH, r.Outcome)
		for _, c := range r.Checks {
			fmt.Fprintf(w, " %s%s", c.Name, c.State)
			if c.Latency != "" {
				fmt.Fprintf(w, "(%s)", c.Latency)
			}
		}
		if r.OutOfRange != "" {
			fmt.Fprintf(w, "  超出范围 out of range: %s", r.OutOfRange)
		}
		if r.Missing != "" && r.Outcome == "failed" {
			fmt.Fprintf(w, "  未完成 missing: %s", r.Missing)
		}
		fmt.Fprintln(w)
	}
	s := ss.Summary
	fmt.Fprintf(w, "合计 total %d: 通过 passed %d, 失败 failed %d, 未见 not seen %d\n",
		len(ss.Devices), s["passed"], s["failed"], s["not_seen"])
}

var reportPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>设备调试报告 {{.Session.ID}}</title>
<style>
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.4em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #888; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
.passed { color: #0a6b0a; font-weight: bold; }
.failed { color: #b00; font-weight: bold; }
.not_seen { color: #a60; font-weight: bold; }
.summary span { margin-right: 2em; }
.sign { margin-top: 3em; }
@media print { body { margin: 1cm; } th { background: none; } a { color: inherit; } }
</style>
</head>
<body>
<h1>设备调试（巡检）报告</h1>
<p>会话 {{.Session.ID}} · 开始 {{.Started}} · 结束 {{.Ended}}（{{.EndReason}}）</p>
<p class="summary"><span>设备 {{.Total}} 台</span><span class="passed">通过 {{index .Session.Summary "passed"}}</span><span class="failed">失败 {{index .Session.Summary "failed"}}</span><span class="not_seen">未见 {{index .Session.Summary "not_seen"}}</span></p>
<table>
<tr><th>设备</th><th>名称</th><th>类型</th><th>网格</th><th>结果</th><th>检查项（时延）</th><th>超出范围</th><th>未完成</th></tr>
{{range .Rows}}<tr>
<td>{{.ID}}</td><td>{{.Name}}</td><td>{{.Kind}}</td><td>{{.Grid}}</td><td class="{{.Outcome}}">{{.OutcomeZH}}</td>
<td>{{range .Checks}}{{.Name}} {{.State}}{{if .Latency}} ({{.Latency}}){{end}}{{if .Detail}} — {{.Detail}}{{end}}<br>{{end}}</td>
<td>{{.OutOfRange}}</td><td>{{.Missing}}</td>
</tr>
{{end}}</table>
<p class="sign">调试人员签字：________________　　日期：____________</p>
</body>
</html>
`))

// writeHTMLReport writes the report as one self-contained, printable
// HTML page (zh-CN): no script, no external file.
func writeHTMLReport(path string, ss session) error {
	ended := ss.EndedMS
	if ended == 0 {
		ended = time.Now().UnixMilli()
	}
	why := map[string]string{"ended": "手动结束", "expired": "到期结束"}[ss.EndReason]
	if why == "" {
		why = ss.EndReason
	}
	data := map[string]any{
		"Session": ss, "Rows": reportRows(ss), "Total": len(ss.Devices), "EndReason": why,
		"Started": time.UnixMilli(ss.StartedMS).Format("2006-01-02 15:04:05"),
		"Ended":   time.UnixMilli(ended).Format("2006-01-02 15:04:05"),
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := reportPage.Execute(f, data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
