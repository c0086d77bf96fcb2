// Command email-summary is the DynamoDB stream consumer that sends each
// finished conversation's summary email exactly once. Wiring only: the
// construction is in pkg/stack/summarystack (the composition root).
package main

import "github.com/ahca/ahca/pkg/stack/summarystack"

func main() { summarystack.Start("email-summary") }
