package testsvc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Series is one series of an InfluxQL result. With the query's epoch set
// to milliseconds, the "time" column holds Unix milliseconds; numbers are
// float64, as encoding/json decodes them.
type Series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// Rows returns each row of the series as a column → value map.
func (s Series) Rows() []map[string]any {
	out := make([]map[string]any, 0, len(s.Values))
	for _, v := range s.Values {
		row := make(map[string]any, len(s.Columns))
		for i, c := range s.Columns {
			if i < len(v) {
				row[c] = v[i]
			}
		}
		out = append(out, row)
	}
	return out
}

// Query runs one InfluxQL statement against the test database as the
// admin user, with times in Unix milliseconds, and returns the series of
// its result. Any error fails the test.
func (x *Influx) Query(t testing.TB, influxql string) []Series {
	t.Helper()
	s, err := x.TryQuery(influxql)
	if err != nil {
		t.Fatalf("testsvc: %v", err)
	}
	return s
}

// TryQuery is Query returning the error instead of failing the test, for
// polling while the server may be down.
func (x *Influx) TryQuery(influxql string) ([]Series, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return x.query(ctx, influxql, x.Database, true)
}

// Count returns the number of points stored in measurement: the rows of
// SELECT *, so points with disjoint fields are each counted once. It is 0
// while the measurement does not exist.
func (x *Influx) Count(t testing.TB, measurement string) int {
	t.Helper()
	n := 0
	for _, s := range x.Query(t, fmt.Sprintf("SELECT * FROM %q", measurement)) {
		n += len(s.Values)
	}
	return n
}

// queryResponse is the body of /query.
type queryResponse struct {
	Results []struct {
		Series []Series `json:"series"`
		Error  string   `json:"error"`
	} `json:"results"`
	Error string `json:"error"`
}

// query posts one statement to /query.
func (x *Influx) query(ctx context.Context, q, db string, auth bool) ([]Series, error) {
	form := url.Values{"q": {q}, "epoch": {"ms"}}
	if db != "" {
		form.Set("db", db)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, x.URL+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", q, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth {
		req.SetBasicAuth(influxUser, influxPassword)
	}
	resp, err := x.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", q, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("query %q: read answer: %w", q, err)
	}
	var r queryResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query %q: %s: undecodable answer %.200q: %w", q, resp.Status, body, err)
	}
	if r.Error != "" {
		return nil, fmt.Errorf("query %q: %s: %s", q, resp.Status, r.Error)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("query %q: %s", q, resp.Status)
	}
	var out []Series
	for _, res := range r.Results {
		if res.Error != "" {
			return nil, fmt.Errorf("query %q: %s", q, res.Error)
		}
		out = append(out, res.Series...)
	}
	return out, nil
}
