// The same program through the Automation API, as an inline program (auto.UpsertStackInlineSource):
//
//	go run . preview|up|refresh|destroy
//
// (run by a Go language host, `pulumi up` in this directory, it is the program itself).
//
// The stack's configuration from the environment (see README.md): KEEPALIVE_LB1_ADDRESS,
// KEEPALIVE_LB1_HOST_KEY, KEEPALIVE_LB2_ADDRESS, KEEPALIVE_LB2_HOST_KEY, KEEPALIVE_PRIVATE_KEY_FILE,
// KEEPALIVE_VIP, KEEPALIVE_REAL_SERVER, and optionally KEEPALIVE_INTERFACE, KEEPALIVE_SERVICE_MANAGER.
// State goes where PULUMI_BACKEND_URL says, encrypted with PULUMI_CONFIG_PASSPHRASE. The last line
// printed is the result as JSON.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func env(name, fallback string) string {
	if value := os.Getenv("KEEPALIVE_" + name); value != "" {
		return value
	}
	if fallback == "" {
		fail(fmt.Errorf("KEEPALIVE_%s is not set", name))
	}
	return fallback
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	// Run by a Go language host (`pulumi up` in this directory), it is the program itself.
	if len(os.Args) == 1 && os.Getenv("PULUMI_MONITOR") != "" {
		pulumi.Run(haPair)
		return
	}
	if len(os.Args) != 2 {
		fail(fmt.Errorf("usage: %s preview|up|refresh|destroy", os.Args[0]))
	}
	ctx := context.Background()
	stackName := os.Getenv("PULUMI_STACK")
	if stackName == "" {
		stackName = "dev"
	}
	stack, err := auto.UpsertStackInlineSource(ctx, stackName, "keepalive-ha-pair", haPair)
	if err != nil {
		fail(err)
	}
	privateKey, err := os.ReadFile(env("PRIVATE_KEY_FILE", ""))
	if err != nil {
		fail(err)
	}
	if err := stack.SetAllConfig(ctx, auto.ConfigMap{
		"lb1Address":     {Value: env("LB1_ADDRESS", "")},
		"lb1HostKey":     {Value: env("LB1_HOST_KEY", "")},
		"lb2Address":     {Value: env("LB2_ADDRESS", "")},
		"lb2HostKey":     {Value: env("LB2_HOST_KEY", "")},
		"privateKey":     {Value: string(privateKey), Secret: true},
		"virtualIp":      {Value: env("VIP", "")},
		"realServer":     {Value: env("REAL_SERVER", "")},
		"interface":      {Value: env("INTERFACE", "eth0")},
		"serviceManager": {Value: env("SERVICE_MANAGER", "systemd")},
	}); err != nil {
		fail(err)
	}

	var result map[string]any
	switch os.Args[1] {
	case "preview":
		preview, err := stack.Preview(ctx, optpreview.ProgressStreams(os.Stdout))
		if err != nil {
			fail(err)
		}
		result = map[string]any{"changes": preview.ChangeSummary}
	case "up":
		up, err := stack.Up(ctx, optup.ProgressStreams(os.Stdout))
		if err != nil {
			fail(err)
		}
		outputs := map[string]any{}
		for key, output := range up.Outputs {
			outputs[key] = output.Value
		}
		result = map[string]any{"result": up.Summary.Result, "changes": up.Summary.ResourceChanges, "outputs": outputs}
	case "refresh":
		refresh, err := stack.Refresh(ctx, optrefresh.ProgressStreams(os.Stdout))
		if err != nil {
			fail(err)
		}
		result = map[string]any{"result": refresh.Summary.Result, "changes": refresh.Summary.ResourceChanges}
	case "destroy":
		destroy, err := stack.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout))
		if err != nil {
			fail(err)
		}
		result = map[string]any{"result": destroy.Summary.Result, "changes": destroy.Summary.ResourceChanges}
	default:
		fail(fmt.Errorf("usage: %s preview|up|refresh|destroy", os.Args[0]))
	}
	line, _ := json.Marshal(result)
	fmt.Printf("\n%s\n", line)
}
