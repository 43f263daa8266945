package notifycontroller

import (
	"context"
	"net/http"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/fluxnotify/fluxnotify"
)

// EventServer returns a manager.Runnable serving d's Flux-compatible event
// endpoint on addr (for example ":9090"; Flux controllers post to it with
// --events-addr=http://<service>:9090/). It runs on every replica, not only
// the leader, and stops with the manager, giving requests in progress ten
// seconds to end.
func EventServer(addr string, d *fluxnotify.Dispatcher) *manager.Server {
	shutdown := 10 * time.Second
	return &manager.Server{
		Name:            "fluxnotify-events",
		ShutdownTimeout: &shutdown,
		Server: &http.Server{
			Addr:              addr,
			Handler:           d.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
	}
}

// Closer returns a manager.Runnable that shuts d down when the manager
// stops (Dispatcher.Shutdown), giving the deliveries in flight and queued
// up to grace to end; what is left is cancelled or abandoned, and logged.
func Closer(d *fluxnotify.Dispatcher, grace time.Duration) manager.Runnable {
	return manager.RunnableFunc(func(ctx context.Context) error {
		<-ctx.Done()
		closeCtx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		return d.Shutdown(closeCtx)
	})
}
