package business

import (
	"fmt"
	"strings"

	"github.com/ahca/ahca/pkg/secret"
	"github.com/ahca/ahca/pkg/tenant"
)

// Unresolved is a reference an enabled feature needs that does not resolve
// in the current environment. Its String is one line for operators:
//
//	superior-fencing: emergencyCallHandling: on-call number ${SUPERIOR_FENCING_ON_CALL_PHONE} is not set in this environment (the local stand-in for ssm:/ahca/{stage}/superior-fencing/on-call-phone)
type Unresolved struct {
	Business tenant.ID
	Use      // what needs it: Switch, Feature, Function, Path, Value
	Why      string
	label    string
}

func (u Unresolved) String() string {
	return fmt.Sprintf("%s: %s: %s %s", u.Business, u.Switch, u.label, u.Why)
}

// UnresolvedRefs lists every reference an enabled feature of b needs that
// cannot be resolved without AWS clients (make dev, ahca call, an
// operator's shell), as secret.Resolver resolves them there. lookupEnv
// reads the environment (os.LookupEnv). Such a feature otherwise fails on
// its first real use, a live emergency call say.
func (b *Business) UnresolvedRefs(lookupEnv func(string) (string, bool)) []Unresolved {
	var out []Unresolved
	for _, u := range b.Uses() {
		if u.Kind != UseSecret || !u.Value.IsRef() {
			continue
		}
		if why := unresolvedLocally(u.Value, lookupEnv); why != "" {
			out = append(out, Unresolved{Business: b.ID, Use: u, Why: why, label: useLabel(b, u.Path)})
		}
	}
	return out
}

// UnresolvedRefs is Business.UnresolvedRefs for every business, by id.
func (s *Set) UnresolvedRefs(lookupEnv func(string) (string, bool)) []Unresolved {
	var out []Unresolved
	for _, id := range s.IDs() {
		out = append(out, s.businesses[id].UnresolvedRefs(lookupEnv)...)
	}
	return out
}

// unresolvedLocally says why v does not resolve as secret.Resolver does
// without AWS clients, or "" when it does.
func unresolvedLocally(v secret.Value, lookupEnv func(string) (string, bool)) string {
	ref, isRef, err := secret.ParseRef(string(v))
	if err != nil || !isRef {
		return "" // malformed references are validation errors already
	}
	set := func(name string) bool { s, ok := lookupEnv(name); return ok && s != "" }
	if ref.Kind == secret.KindEnv {
		if set(ref.Name) {
			return ""
		}
		return "${" + ref.Name + "} is not set in this environment"
	}
	if name, ok := secret.LocalEnvName(ref); ok {
		if set(name) {
			return ""
		}
		return fmt.Sprintf("${%s} is not set in this environment (the local stand-in for %s)", name, v)
	}
	return fmt.Sprintf("%s can only be read in AWS: without {stage} in it, it has no local stand-in", v)
}

// useLabel names what a Use's path holds, for people.
func useLabel(b *Business, path string) string {
	switch {
	case path == "$.companyInfo.emergencyContact.phone":
		return "on-call number"
	case strings.HasPrefix(path, "$.callRouting.staff."):
		key := strings.TrimSuffix(strings.TrimPrefix(path, "$.callRouting.staff."), ".phone")
		for _, st := range b.CallRouting.Staff {
			if st.Key == key {
				return "number of " + st.Name
			}
		}
		return "number of staff " + key
	case strings.HasPrefix(path, "$.sms.adminNumbers"):
		return "admin number"
	case strings.HasPrefix(path, "$.email."):
		return "email " + strings.TrimPrefix(path, "$.email.")
	case strings.HasPrefix(path, "$.calendar."):
		return "calendar " + strings.TrimPrefix(path, "$.calendar.")
	}
	return path
}
