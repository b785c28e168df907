package dev.ledgerflow.gateway.web;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import tools.jackson.databind.json.JsonMapper;

/** The one place that turns an {@link ApiException} into an {@code application/problem+json} body. */
public final class Problems {

    public static final String TYPE_BASE = "https://ledgerflow.dev/problems/";
    private static final JsonMapper json = JsonMapper.builder().build();

    private Problems() {}

    public static byte[] body(ApiException exception) {
        ApiError error = exception.error();
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", TYPE_BASE + error.code());
        problem.put("title", error.title());
        problem.put("status", error.status());
        problem.put("detail", exception.detail());
        problem.put("code", error.code());
        if (!exception.fieldProblems().isEmpty()) {
            List<Map<String, Object>> errors = new ArrayList<>();
            for (ApiException.FieldProblem p : exception.fieldProblems()) {
                Map<String, Object> entry = new LinkedHashMap<>();
                if (p.leg() != null) {
                    entry.put("leg", p.leg());
                }
                entry.put("field", p.field());
                entry.put("code", p.code());
                entry.put("message", p.message());
                if (p.leg() != null) {
                    entry.put("detail", p.message());
                }
                errors.add(entry);
            }
            problem.put("errors", errors);
        }
        return json.writeValueAsString(problem).getBytes(StandardCharsets.UTF_8);
    }

    public static ResponseEntity<byte[]> response(ApiException exception) {
        return ResponseEntity.status(HttpStatus.valueOf(exception.error().status()))
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(body(exception));
    }
}
