package dev.osprey.app;

import dev.osprey.core.http.ApiToken;
import dev.osprey.core.http.HttpAccess;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where a service's HTTP API binds and who may call its mutating endpoints: the same three flags
 * for {@code ingest --serve}, {@code trainer} and {@code demo}, and the one place their token is read.
 */
final class ApiOptions {

    @Option(names = "--http-host", paramLabel = "HOST", defaultValue = "${env:OSPREY_HTTP_HOST:-127.0.0.1}",
            description = "Address the HTTP API binds (env OSPREY_HTTP_HOST, default: ${DEFAULT-VALUE}). Another "
                    + "than loopback needs a token (env " + ApiToken.ENV + " or --token-file) or --no-auth.")
    String host;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File whose first line is the bearer token that uploads, feedback and POST /retrain "
                    + "need (default: env " + ApiToken.ENV + "; none when unset).")
    Path tokenFile;

    @Option(names = "--no-auth",
            description = "Serve the mutating endpoints without a token on a non-loopback --http-host (inside a "
                    + "trusted network only). A token, when set, is still required.")
    boolean noAuth;

    /** The access rules from the flags and {@code env}. */
    HttpAccess access(Map<String, String> env) {
        return new HttpAccess(ApiToken.read(Optional.ofNullable(tokenFile), env), noAuth);
    }

    /** The access rules from the flags and the process environment. */
    HttpAccess access() {
        return access(System.getenv());
    }

    /** The host as a URL a user on this machine can open: {@code localhost} for a wildcard bind. */
    String displayHost() {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") ? "localhost" : host;
    }
}
