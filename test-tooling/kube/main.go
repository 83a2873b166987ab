// Command kube is a multi-call binary for the CloudSpectra Fabric Kubernetes test plane:
//
//	kube kube-apiserver [flags]   the upstream kube-apiserver (k8s.io/kubernetes/cmd/kube-apiserver)
//	kube kube-scheduler [flags]   the upstream kube-scheduler (k8s.io/kubernetes/cmd/kube-scheduler)
//	kube kube-controller-manager [flags]
//	                              the upstream kube-controller-manager (k8s.io/kubernetes/cmd/kube-controller-manager)
//	kube etcd [flags]             etcd, at the version the Kubernetes release requires
//	kube yaml2json [file|-]       converts a YAML document (e.g. a CRD) to JSON on stdout
//
// It is built by build.sh (see README.md); the version ldflags make the Kubernetes
// components report the pinned release instead of a dev version.
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	_ "time/tzdata" // as upstream kube-apiserver: timeZone support in CronJob

	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format registration
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics plugins
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric registration
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanagerapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	schedulerapp "k8s.io/kubernetes/cmd/kube-scheduler/app"
	"sigs.k8s.io/yaml"
)

const usage = "usage: kube kube-apiserver|kube-scheduler|kube-controller-manager|etcd|yaml2json [args...]"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	name := os.Args[1]
	// Each component parses os.Args as if it had been invoked under its own name.
	os.Args = append([]string{name}, os.Args[2:]...)
	switch name {
	case "kube-apiserver":
		os.Exit(cli.Run(apiserverapp.NewAPIServerCommand()))
	case "kube-scheduler":
		os.Exit(cli.Run(schedulerapp.NewSchedulerCommand()))
	case "kube-controller-manager":
		os.Exit(cli.Run(controllermanagerapp.NewControllerManagerCommand()))
	case "etcd":
		etcdmain.Main(os.Args) // as etcd's own server/main.go
	case "yaml2json":
		if err := yaml2json(os.Args[1:], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "yaml2json:", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n%s\n", name, usage)
		os.Exit(2)
	}
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// yaml2json converts the YAML in the named file (or stdin for "-" / no argument)
// to JSON. A single document becomes one JSON value; a multi-document stream
// becomes a JSON array of its non-empty documents.
func yaml2json(args []string, stdin io.Reader, stdout io.Writer) error {
	var in []byte
	var err error
	switch {
	case len(args) > 1:
		return fmt.Errorf("expected at most one file argument, got %d", len(args))
	case len(args) == 0 || args[0] == "-":
		in, err = io.ReadAll(stdin)
	default:
		in, err = os.ReadFile(args[0])
	}
	if err != nil {
		return err
	}
	var docs [][]byte
	for _, d := range docSeparator.Split(string(in), -1) {
		j, err := yaml.YAMLToJSON([]byte(d))
		if err != nil {
			return err
		}
		if t := bytes.TrimSpace(j); len(t) > 0 && !bytes.Equal(t, []byte("null")) {
			docs = append(docs, t)
		}
	}
	var out []byte
	switch len(docs) {
	case 0:
		return fmt.Errorf("no YAML document found")
	case 1:
		out = docs[0]
	default:
		out = append([]byte("["), bytes.Join(docs, []byte(","))...)
		out = append(out, ']')
	}
	_, err = stdout.Write(append(out, '\n'))
	return err
}
