// sdkgen writes keepalive's SDKs with Pulumi's own code generators, called directly: `pulumi package
// gen-sdk` always goes through a language host, and the Go module proxy serves neither the Node nor the
// Python one. Usage:
//
//	sdkgen -schema provider/schema.json -out sdk [-languages nodejs,python,go]
//
// Each language's directory under -out (nodejs, python, go) is replaced as a whole, so a file the
// generator no longer writes does not linger. scripts/sdk.ts runs it; scripts/pulumi-engine builds it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"golang.org/x/mod/modfile"
)

// The name the generators put in their "do not edit" headers.
const tool = "keepalive sdkgen"

// noLoader is the loader for a self-contained schema: keepalive's schema refers to no other package, so
// any request for one is an error rather than a plugin download.
type noLoader struct{}

var errSelfContained = errors.New("the keepalive schema refers to no other package")

func (noLoader) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errSelfContained
}

func (noLoader) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errSelfContained
}

func (noLoader) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errSelfContained
}

func (noLoader) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, errSelfContained
}

// bind reads and binds the schema afresh: the generators record their language's settings in the bound
// package, so each language gets its own.
func bind(path string) (*schema.Package, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Warnings count too: a schema the generators only half understand makes a half-right SDK.
	if len(diags) > 0 {
		return nil, fmt.Errorf("%s: %s", path, diags.Error())
	}
	return pkg, nil
}

func generate(language string, pkg *schema.Package) (map[string][]byte, error) {
	switch language {
	case "nodejs":
		// No extra files, no local dependencies, not a "local SDK" (that mode compiles at install time).
		return nodejs.GeneratePackage(tool, pkg, nil, nil, false, noLoader{})
	case "python":
		return python.GeneratePackage(tool, pkg, nil, noLoader{})
	case "go":
		files, err := gogen.GeneratePackage(tool, pkg, nil)
		if err != nil {
			return nil, err
		}
		return files, requireOurSDK(files)
	}
	return nil, fmt.Errorf("unknown language %q (nodejs, python, go)", language)
}

const goSDK = "github.com/pulumi/pulumi/sdk/v3"

// requireOurSDK makes the Go SDK's go.mod require the Pulumi Go SDK at the version these generators are
// built with (tools/sdkgen/go.mod), instead of the generator's fixed floor (v3.269.0): that release's
// own requirements include a pulumi-cloud-sdk version the Go module proxy refuses, so a module requiring
// it does not build here; the generators' version is the one the CLI is built from too.
func requireOurSDK(files map[string][]byte) error {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return errors.New("no build information to read the Pulumi Go SDK's version from")
	}
	version := ""
	for _, dep := range info.Deps {
		if dep.Path == goSDK {
			version = dep.Version
		}
	}
	if version == "" {
		return fmt.Errorf("%s is not in this program's build information", goSDK)
	}
	gomod, err := modfile.Parse("go.mod", files["go.mod"], nil)
	if err != nil {
		return err
	}
	if err := gomod.AddRequire(goSDK, version); err != nil {
		return err
	}
	files["go.mod"], err = gomod.Format()
	return err
}

// write replaces dir with exactly the generated files.
func write(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func run() error {
	schemaPath := flag.String("schema", "provider/schema.json", "the package schema")
	out := flag.String("out", "sdk", "the directory that receives one directory per language")
	languages := flag.String("languages", "nodejs,python,go", "comma-separated: nodejs, python, go")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", flag.Arg(0))
	}
	for _, language := range strings.Split(*languages, ",") {
		pkg, err := bind(*schemaPath)
		if err != nil {
			return err
		}
		files, err := generate(language, pkg)
		if err != nil {
			return fmt.Errorf("%s: %w", language, err)
		}
		dir := filepath.Join(*out, language)
		if err := write(dir, files); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "sdkgen: %s: %d files in %s\n", language, len(files), dir)
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "sdkgen: %v\n", err)
		os.Exit(1)
	}
}
