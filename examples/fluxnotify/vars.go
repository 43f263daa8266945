package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// variablesObject is a ConfigMap or Secret of --substitute-from, as
// spec.postBuild.substituteFrom names them in a Flux Kustomization.
type variablesObject struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Data       map[string]string `json:"data"`
	StringData map[string]string `json:"stringData"`
	Sops       any               `json:"sops"`
}

// readVariables reads the postBuild variables of a file: the data of the
// ConfigMaps and Secrets it holds (Secret data is base64, stringData
// plain), or KEY=VALUE lines (blank lines and # comments are ignored).
func readVariables(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, err
	}
	if vars, ok, err := variablesFromManifests(data); ok || err != nil {
		return vars, err
	}
	return variablesFromLines(data)
}

// variablesFromManifests reads the ConfigMaps and Secrets of a YAML
// stream; ok is false when the stream holds no such object.
func variablesFromManifests(data []byte) (vars map[string]string, ok bool, err error) {
	vars = map[string]string{}
	for i, doc := range bytes.Split(data, []byte("\n---")) {
		var obj variablesObject
		if yaml.Unmarshal(doc, &obj) != nil || obj.APIVersion != "v1" {
			continue
		}
		switch obj.Kind {
		case "ConfigMap":
			for k, v := range obj.Data {
				vars[k] = v
			}
		case "Secret":
			if obj.Sops != nil {
				return nil, true, fmt.Errorf("document %d: the Secret is SOPS-encrypted: decrypt it first (sops -d)", i+1)
			}
			for k, v := range obj.Data {
				b, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					return nil, true, fmt.Errorf("document %d: data.%s: not base64: %w", i+1, k, err)
				}
				vars[k] = string(b)
			}
			for k, v := range obj.StringData {
				vars[k] = v
			}
		default:
			continue
		}
		ok = true
	}
	return vars, ok, nil
}

// variablesFromLines reads KEY=VALUE lines.
func variablesFromLines(data []byte) (map[string]string, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("line %d: want KEY=VALUE, or a ConfigMap or Secret manifest", n)
		}
		vars[strings.TrimSpace(k)] = v
	}
	return vars, sc.Err()
}
