module keepalive-ha-pair

go 1.25

require (
	github.com/keepalive/keepalive/sdk/go v0.1.0
	github.com/pulumi/pulumi/sdk/v3 v3.274.1
)
