package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemoRuns(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	s := out.String()
	for _, want := range []string{
		"ACME Holding", "ACME East", "ACME West",
		"code=ADMINISTRATOR", "code=BUYER", "code=ANONYMOUS",
		"admin@acme.example", "buyer@acme-east.example",
		"Login as buyer@acme-east.example (any case): ok, login count 1",
		"Login with a wrong password: unauthenticated",
		"Alice (Administrator of ACME Holding)  edit  Bob's account: true",
		"Bob (Buyer of ACME East)               edit  Bob's account: false",
	} {
		assert.Contains(t, s, want)
	}
}
