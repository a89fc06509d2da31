// Command pulumi-language-python is this project's language host for `runtime: python`.
//
// The Pulumi CLI starts a language host to run a project's program. Pulumi's own Python host is a
// Go module that the Go module proxy reachable from the project's machines does not serve, so the
// project builds this one beside the CLI (`make pulumi`). It does what the engine needs of a
// Python host, with the Python SDK's own toolchain package (pinned by ../go.mod) resolving the
// virtualenv of Pulumi.yaml exactly as Pulumi's host does:
//
//   - Run: start runner.py with the program's interpreter, the engine's addresses as arguments
//     and the stack config in the environment, then report its exit (32: the program already
//     reported its failure to the engine);
//   - GetPluginInfo, GetRequiredPlugins/Packages (none: the program needs only the SDK's
//     bundled dynamic provider), About, GetProgramDependencies, InstallDependencies.
//
// What it does not do: code generation, `pulumi new` templates, prompts, plugins written in
// Python, and Python packages that bring their own resource plugins (it requires none).
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

//go:embed runner.py
var runner string

// version is set at build time (-ldflags "-X main.version=...") to the pinned CLI's version.
var version = "0.0.0-dev"

// failureShown is runner.py's exit code once the program's failure is reported to the engine.
const failureShown = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func main() {
	// The engine passes its own address last; flags before it (tracing, logging) are not used here.
	engine := ""
	for _, arg := range os.Args[1:] {
		if !strings.HasPrefix(arg, "-") {
			engine = arg
		}
	}
	cancel := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(server *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(server, &host{engineAddress: engine})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: cannot serve: %v\n", err)
		os.Exit(1)
	}
	// the engine reads the port from the first line of stdout
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
		os.Exit(1)
	}
}

// toolchainOf resolves the interpreter of a program from its runtime options (`toolchain`,
// `virtualenv`), relative to the project root.
func toolchainOf(info *pulumirpc.ProgramInfo) (toolchain.Toolchain, error) {
	if info == nil {
		return nil, errors.New("the engine sent no program info")
	}
	options := map[string]any{}
	if info.GetOptions() != nil {
		options = info.GetOptions().AsMap()
	}
	opts := toolchain.PythonOptions{
		Root:       info.GetRootDirectory(),
		ProgramDir: info.GetProgramDirectory(),
		Toolchain:  toolchain.Pip,
	}
	if venv, ok := options["virtualenv"].(string); ok {
		opts.Virtualenv = venv
	}
	switch name, _ := options["toolchain"].(string); name {
	case "", "pip":
	case "poetry":
		opts.Toolchain = toolchain.Poetry
	case "uv":
		opts.Toolchain = toolchain.Uv
	default:
		return nil, fmt.Errorf("runtime option toolchain: %q is not one of pip, poetry, uv", name)
	}
	return toolchain.ResolveToolchain(opts)
}

func (h *host) Handshake(
	_ context.Context, _ *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	tc, err := toolchainOf(req.GetInfo())
	if err != nil {
		return nil, err
	}
	about, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: about.PythonExecutable,
		Version:    about.PythonVersion.String(),
	}, nil
}

func (h *host) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := toolchainOf(req.GetInfo())
	if err != nil {
		return nil, err
	}
	packages, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	result := make([]*pulumirpc.DependencyInfo, 0, len(packages))
	for _, p := range packages {
		result = append(result, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: result}, nil
}

// streamWriter sends what a command prints to the CLI; stdout and stderr share one stream.
type streamWriter struct {
	mu     *sync.Mutex
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	response := &pulumirpc.InstallDependenciesResponse{Stdout: p}
	if w.stderr {
		response = &pulumirpc.InstallDependenciesResponse{Stderr: p}
	}
	if err := w.stream.Send(response); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	tc, err := toolchainOf(req.GetInfo())
	if err != nil {
		return err
	}
	mu := &sync.Mutex{}
	var stdout, stderr io.Writer = streamWriter{mu, stream, false}, streamWriter{mu, stream, true}
	return tc.InstallDependencies(
		stream.Context(), req.GetInfo().GetRootDirectory(), req.GetUseLanguageVersionTools(),
		true, stdout, stderr,
	)
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	tc, err := toolchainOf(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(append([]string{}, req.GetConfigSecretKeys()...))
	if err != nil {
		return nil, err
	}
	program := info.GetProgramDirectory()
	if entry := info.GetEntryPoint(); entry != "" && entry != "." {
		program = filepath.Join(program, entry)
	}
	args := []string{
		"-u", "-c", runner,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engineAddress,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--organization", req.GetOrganization(),
		"--root-directory", info.GetRootDirectory(),
		"--pwd", req.GetPwd(),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	args = append(args, "--", program)
	args = append(args, req.GetArgs()...)
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	// the config travels in the environment, never on a command line
	cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	cmd.Dir = req.GetPwd()
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exit) && exit.ExitCode() == failureShown:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exit):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("the program exited with code %d", exit.ExitCode())}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not start the program: %v", err)}, nil
	}
}
