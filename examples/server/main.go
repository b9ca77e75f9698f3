// Command server is the demo of the customerusers library.
//
// For now it seeds a demo organization in memory through the Go API, shows a
// login and a few authorization decisions, prints what it made and exits;
// the HTTP server comes with the HTTP adapter.
package main

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/b2bkit/customerusers/examples/internal/demo"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		slog.Error("demo failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	d, err := demo.Seed(ctx)
	if err != nil {
		return err
	}
	return d.Report(ctx, out)
}
