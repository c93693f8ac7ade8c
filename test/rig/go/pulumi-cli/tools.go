//go:build tools

// Package tools pins the Pulumi CLI for the engine tests. `go install …/pkg/v3/cmd/pulumi@v`
// is refused (pkg/v3's go.mod has replace directives), so the rig builds it from this module,
// which requires pkg/v3 and repeats the one replace that matters outside Pulumi's own tree.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
