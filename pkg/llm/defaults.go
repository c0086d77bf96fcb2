package llm

import (
	"math/rand/v2"
	"time"
)

// Defaults of the clients on the OpenAI Chat Completions API
// (pkg/llm/openaiclient with tools, pkg/llm/chathttp without): here so that
// both use the same ones without chathttp linking openai-go.
const (
	DefaultModel       = "gpt-4o-mini"
	DefaultTemperature = 0.3
	DefaultMaxAttempts = 3
	// DefaultMaxOutputTokens is the output cap of a request that names
	// none; spoken replies are far shorter.
	DefaultMaxOutputTokens = 1024
	// DefaultBaseURL is OpenAI's API. The clients never read
	// OPENAI_BASE_URL from the environment (the wiring passes BaseURL).
	DefaultBaseURL = "https://api.openai.com/v1/"
)

// DefaultBackoff is the clients' wait before retry number attempt (1 = the
// first retry): 200 ms doubling, at most 6.4 s, ±20 % jitter.
func DefaultBackoff(attempt int) time.Duration {
	d := 200 * time.Millisecond << min(attempt-1, 5)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
