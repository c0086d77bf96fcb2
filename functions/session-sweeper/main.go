// Command session-sweeper ends sessions idle past their timeout, every
// minute on a schedule: wiring only; the behaviour is in pkg/sweep, the
// construction in pkg/stack/endstack (the composition root).
package main

import "github.com/ahca/ahca/pkg/stack/endstack"

func main() { endstack.StartSweeper("session-sweeper") }
