// hello is the demo program: it prints a greeting, its platform, and the file it finds in
// $KO_DATA_PATH, which tsko fills from the kodata/ folder beside this file.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

func main() {
	message, err := os.ReadFile(filepath.Join(os.Getenv("KO_DATA_PATH"), "message.txt"))
	if err != nil {
		message = []byte("(no kodata: " + err.Error() + ")\n")
	}
	fmt.Printf("hello from %s/%s: %s", runtime.GOOS, runtime.GOARCH, message)
}
