package secret

// SetOnWait installs a hook called whenever a Resolve call starts waiting for
// another call's in-flight fetch, so tests can tell deterministically that
// callers have piled up behind one fetch.
func SetOnWait(r *Resolver, f func(Ref)) { r.onWait = f }
