// Command httpload is a closed-loop HTTP load generator for the benchmarks
// in BENCHMARKS.md (see bench/run-http.sh). It is not part of the library
// and has no tests.
//
//	httpload -url 'http://127.0.0.1:8080/admin/api/customer-users/{id}' -ids ids.txt \
//	    -H 'Authorization: Bearer TOKEN' -c 4 -d 20s [-warmup 2s] [-n 5000000]
//
// It opens exactly -c keep-alive connections (one per worker; each worker
// sends its next request when the previous answer is read in full), runs
// for -d or until -n requests were sent, whichever comes first, and stops
// by itself. When the URL holds {id}, each request replaces it with the
// next id of -ids (workers start at different offsets and go round).
//
// It prints one line of key=value pairs: requests, errors (transport
// errors and non-2xx answers), req/s, latency percentiles (from a
// log-linear histogram, relative error under 1%), the number of TCP
// connections dialled (to check that keep-alive held) and the CPU time the
// generator itself used, so that its share of a small machine can be
// reported.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/bits"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "httpload:", err)
		os.Exit(1)
	}
}

// headers collects repeated -H flags.
type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

type config struct {
	url      string
	ids      []string
	header   http.Header
	conns    int
	duration time.Duration
	warmup   time.Duration
	max      int64
	timeout  time.Duration
}

func run() error {
	var cfg config
	var hs headers
	idsFile := flag.String("ids", "", "file of ids, one a line, substituted for {id} in -url")
	flag.StringVar(&cfg.url, "url", "", "URL to GET; {id} is replaced by the next id of -ids (required)")
	flag.Var(&hs, "H", "request header 'Name: value' (repeatable)")
	flag.IntVar(&cfg.conns, "c", 4, "connections (one worker each)")
	flag.DurationVar(&cfg.duration, "d", 20*time.Second, "measured duration")
	flag.DurationVar(&cfg.warmup, "warmup", 0, "unmeasured load before the measured duration, on the same connections")
	flag.Int64Var(&cfg.max, "n", 10_000_000, "stop after this many measured requests even if -d has not passed")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "timeout of one request")
	label := flag.String("label", "", "label printed first on the result line")
	flag.Parse()
	if cfg.url == "" || cfg.conns < 1 || cfg.duration <= 0 || cfg.max < 1 {
		return errors.New("-url is required; -c, -d and -n must be positive")
	}
	cfg.header = http.Header{}
	for _, h := range hs {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("-H %q: want 'Name: value'", h)
		}
		cfg.header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if strings.Contains(cfg.url, "{id}") {
		if *idsFile == "" {
			return errors.New("-url holds {id}: -ids is required")
		}
		var err error
		if cfg.ids, err = readIDs(*idsFile); err != nil {
			return err
		}
	}
	r, err := load(cfg)
	if err != nil {
		return err
	}
	fmt.Println(r.line(*label, cfg.conns))
	if r.requests > 0 && r.errors == r.requests {
		return fmt.Errorf("every request failed; first error: %s", r.firstErr)
	}
	return nil
}

func readIDs(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			ids = append(ids, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s: no ids", path)
	}
	return ids, nil
}

// result is what one measured run gives.
type result struct {
	requests, errors int64
	statuses         map[int]int64
	firstErr         string
	elapsed          time.Duration
	hist             *histogram
	dials            int64
	cpu              time.Duration
}

func (r result) line(label string, conns int) string {
	var b strings.Builder
	if label != "" {
		fmt.Fprintf(&b, "%s ", label)
	}
	rps := float64(r.requests) / r.elapsed.Seconds()
	fmt.Fprintf(&b, "conns=%d requests=%d errors=%d seconds=%.2f rps=%.1f", conns, r.requests, r.errors,
		r.elapsed.Seconds(), rps)
	for _, q := range []struct {
		name string
		q    float64
	}{{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"p999", 0.999}} {
		fmt.Fprintf(&b, " %s_us=%.0f", q.name, float64(r.hist.quantile(q.q))/1e3)
	}
	fmt.Fprintf(&b, " max_us=%.0f mean_us=%.0f dials=%d cpu_s=%.2f", float64(r.hist.max)/1e3,
		r.hist.mean()/1e3, r.dials, r.cpu.Seconds())
	for code, n := range r.statuses {
		if code/100 != 2 {
			fmt.Fprintf(&b, " status_%d=%d", code, n)
		}
	}
	if r.firstErr != "" {
		fmt.Fprintf(&b, " first_error=%q", r.firstErr)
	}
	return b.String()
}

// load runs the warm-up then the measured phase on the same connections.
func load(cfg config) (result, error) {
	var dials atomic.Int64
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return dialer.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        cfg.conns,
		MaxIdleConnsPerHost: cfg.conns,
		MaxConnsPerHost:     cfg.conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.timeout}

	// A first request checks the set-up before any load.
	code, err := get(client, cfg, 0)
	if err != nil {
		return result{}, err
	}
	if code/100 != 2 {
		return result{}, fmt.Errorf("GET %s: status %d", cfg.target(0), code)
	}

	if cfg.warmup > 0 {
		phase(client, cfg, cfg.warmup, cfg.max)
	}
	dials.Store(0)
	cpu0 := cpuTime()
	r := phase(client, cfg, cfg.duration, cfg.max)
	r.cpu = cpuTime() - cpu0
	r.dials = dials.Load()
	return r, nil
}

func (cfg config) target(i int) string {
	if len(cfg.ids) == 0 {
		return cfg.url
	}
	return strings.Replace(cfg.url, "{id}", cfg.ids[i%len(cfg.ids)], 1)
}

// get sends request number i and reads the answer in full (so that the
// connection goes back to the pool).
func get(client *http.Client, cfg config, i int) (int, error) {
	req, err := http.NewRequest(http.MethodGet, cfg.target(i), nil)
	if err != nil {
		return 0, err
	}
	req.Header = cfg.header
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	return resp.StatusCode, err
}

// phase runs cfg.conns workers for d or max requests and merges what they
// measured. Requests in flight when d passes finish and count.
func phase(client *http.Client, cfg config, d time.Duration, max int64) result {
	type worker struct {
		hist     histogram
		n, errs  int64
		statuses map[int]int64
		firstErr string
	}
	workers := make([]worker, cfg.conns)
	var sent atomic.Int64
	var stop atomic.Bool
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	defer timer.Stop()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wk := &workers[w]
		wk.statuses = map[int]int64{}
		offset := w * len(cfg.ids) / cfg.conns
		wg.Go(func() {
			for i := offset; !stop.Load() && sent.Add(1) <= max; i++ {
				t0 := time.Now()
				code, err := get(client, cfg, i)
				wk.hist.record(time.Since(t0))
				wk.n++
				switch {
				case err != nil:
					wk.errs++
					if wk.firstErr == "" {
						wk.firstErr = err.Error()
					}
				case code/100 != 2:
					wk.errs++
					wk.statuses[code]++
					if wk.firstErr == "" {
						wk.firstErr = fmt.Sprintf("status %d", code)
					}
				default:
					wk.statuses[code]++
				}
			}
		})
	}
	wg.Wait()
	r := result{elapsed: time.Since(start), hist: &histogram{}, statuses: map[int]int64{}}
	for i := range workers {
		wk := &workers[i]
		r.requests += wk.n
		r.errors += wk.errs
		r.hist.merge(&wk.hist)
		for c, n := range wk.statuses {
			r.statuses[c] += n
		}
		if r.firstErr == "" {
			r.firstErr = wk.firstErr
		}
	}
	return r
}

// histogram is a log-linear histogram of durations in nanoseconds: values
// under 128 ns exactly, then 128 buckets per power of two, so a bucket's
// width is under 1/128 of its values.
type histogram struct {
	counts [64 * subBuckets]int64
	n      int64
	sum    float64
	max    int64
}

const subBuckets = 128

func bucketOf(v int64) int {
	if v < subBuckets {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - 8 // v>>e is in [128, 256)
	return e*subBuckets + int(v>>e)
}

// bucketMid is the middle of bucket i's range.
func bucketMid(i int) int64 {
	if i < 2*subBuckets {
		return int64(i)
	}
	e := i/subBuckets - 1
	lo := int64(i-e*subBuckets) << e
	return lo + (int64(1)<<e)/2
}

func (h *histogram) record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
	h.max = max(h.max, v)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

func (h *histogram) mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// quantile returns the value under which a fraction q of the recorded
// values lie (nearest rank).
func (h *histogram) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(bucketMid(i), h.max)
		}
	}
	return h.max
}
