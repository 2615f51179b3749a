package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"govfleet/internal/ridehail"
)

// ridehailSim runs the ride-hailing provider simulator (模拟) as its own
// process, for the demo and the tests:
//
//	govfleet ridehail-sim --listen 127.0.0.1:7380 --step 20s
//
// It speaks the enterprise API internal/ridehail.HTTP uses (OAuth client
// credentials, applications, order query) and sends signed callbacks to the
// callback URL of each application. It is not a provider: no car comes.
func ridehailSim(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ridehail-sim", flag.ExitOnError)
	listen := fs.String("listen", ridehail.DemoAddr, "HTTP listen address of the simulator")
	clientID := fs.String("client-id", ridehail.DemoClientID, "OAuth client id the platform authenticates with")
	clientSecret := fs.String("client-secret", ridehail.DemoClientSecret, "OAuth client secret")
	secret := fs.String("callback-secret", ridehail.DemoCallbackSecret, "key the callbacks are signed with")
	step := fs.Duration("step", 20*time.Second, "move every open order one state forward this often (0: never by itself; POST /sim/applications/{id}/advance)")
	history := fs.Bool("demo-history", true, "start with the Changzhou demo's past rides as orders (one fee differing, for the reconciliation)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sim := &ridehail.Simulator{ClientID: *clientID, ClientSecret: *clientSecret, Secret: []byte(*secret), Step: *step}
	if *history {
		sim.LoadDemoHistory(time.Now())
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go sim.Run(ctx)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	slog.Info("ride-hailing provider simulator (模拟) serving", "addr", ln.Addr().String(), "step", *step)
	fmt.Fprintf(os.Stderr, "\n  网约车服务商模拟器（模拟，不派真实车辆） http://%s\n\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
