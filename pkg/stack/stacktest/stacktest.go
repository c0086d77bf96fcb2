// Package stacktest gives the tests of the composition root (package stack
// and its subpackages) a function's environment, as template.yaml sets it.
package stacktest

import (
	"strings"
	"testing"
)

// Env is the environment every function reads (stack.BaseFromEnv: the
// region, credentials, table, config bucket and stage) with kv, name and
// value pairs, set over it; an empty value reads as unset.
func Env(kv ...string) map[string]string {
	if len(kv)%2 != 0 {
		panic("stacktest.Env: a name without a value")
	}
	env := map[string]string{
		"AWS_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "STAGE": "dev",
		"TABLE_NAME": "ahca-dev-app", "CONFIG_BUCKET": "ahca-dev-config",
	}
	for i := 0; i < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

// Getenv reads env as os.Getenv reads the process's environment: the
// getenv a FromEnv takes.
func Getenv(env map[string]string) func(string) string {
	return func(name string) string { return env[name] }
}

// Built checks what a FromEnv or a constructor returned against wantErr:
// "" wants no error, anything else an error that mentions it. It fails t
// otherwise and reports whether there is a built value to check further.
func Built(t testing.TB, err error, wantErr string) bool {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Fatal(err)
		}
		return true
	}
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Fatalf("error %v; want one that mentions %q", err, wantErr)
	}
	return false
}
