package dev.ledgerflow.core.eventstore.postgres;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where the PostgreSQL server is. Parsed from one URL in any of the usual forms:
 * {@code postgresql://user:password@host:5432/db}, {@code postgres://…}, {@code r2dbc:postgresql://…}
 * or {@code jdbc:postgresql://host:5432/db?user=…&password=…}.
 */
public record PostgresSettings(String host, int port, String database, String username, String password) {

    public PostgresSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(username, "username");
        password = password == null ? "" : password;
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    public static PostgresSettings parse(String url) {
        Objects.requireNonNull(url, "url");
        String rest = url.strip();
        for (String prefix : new String[] {"jdbc:", "r2dbc:"}) {
            if (rest.startsWith(prefix)) {
                rest = rest.substring(prefix.length());
            }
        }
        if (rest.startsWith("postgres://")) {
            rest = "postgresql://" + rest.substring("postgres://".length());
        }
        if (!rest.startsWith("postgresql://")) {
            throw new IllegalArgumentException("not a PostgreSQL URL (postgresql://user:password@host:port/db): " + redact(url));
        }
        URI uri = URI.create(rest);
        Map<String, String> query = queryParameters(uri.getRawQuery());
        String username = query.get("user");
        String password = query.get("password");
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            username = decode(parts[0]);
            password = parts.length > 1 ? decode(parts[1]) : password;
        }
        String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        String database = path.isEmpty() ? "postgres" : path;
        return new PostgresSettings(
                uri.getHost() == null ? "localhost" : uri.getHost(),
                uri.getPort() < 0 ? 5432 : uri.getPort(),
                database,
                username == null ? "postgres" : username,
                password);
    }

    /** The URL with credentials, in the {@code postgresql://} form {@link #parse} reads. */
    public String url() {
        String credentials = encode(username) + (password.isEmpty() ? "" : ":" + encode(password));
        return "postgresql://" + credentials + "@" + host + ":" + port + "/" + database;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    public PostgresSettings withCredentials(String otherUsername, String otherPassword) {
        return new PostgresSettings(host, port, database, otherUsername, otherPassword);
    }

    public PostgresSettings withDatabase(String otherDatabase) {
        return new PostgresSettings(host, port, otherDatabase, username, password);
    }

    @Override
    public String toString() {
        return "postgresql://" + username + "@" + host + ":" + port + "/" + database;
    }

    private static String redact(String url) {
        return url.replaceAll("://([^:/@]+):[^@]*@", "://$1:***@").replaceAll("password=[^&]*", "password=***");
    }

    private static Map<String, String> queryParameters(String rawQuery) {
        Map<String, String> parameters = new HashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return parameters;
        }
        for (String pair : rawQuery.split("&")) {
            String[] kv = pair.split("=", 2);
            parameters.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
        }
        return parameters;
    }

    private static String encode(String value) {
        return java.net.URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String decode(String value) {
        return URLDecoder.decode(value, StandardCharsets.UTF_8);
    }
}
