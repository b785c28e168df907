package dev.ledgerflow.gateway.web;

import java.util.List;

/** An error answer: becomes an RFC 9457 problem response with a stable {@code code}. */
public final class ApiException extends RuntimeException {

    private final ApiError error;
    private final List<FieldProblem> fieldProblems;

    public ApiException(ApiError error, String detail) {
        this(error, detail, List.of());
    }

    public ApiException(ApiError error, String detail, List<FieldProblem> fieldProblems) {
        super(detail, null, false, false);
        this.error = error;
        this.fieldProblems = List.copyOf(fieldProblems);
    }

    public static ApiException field(ApiError error, String field, String message) {
        return new ApiException(error, message, List.of(new FieldProblem(field, error.code(), message)));
    }

    public static ApiException notFound(String what) {
        return new ApiException(ApiError.NOT_FOUND, "No such " + what);
    }

    public ApiError error() {
        return error;
    }

    public String detail() {
        return getMessage();
    }

    public List<FieldProblem> fieldProblems() {
        return fieldProblems;
    }

    /** A problem with one leg of a ledger transaction: {@code errors: [{ leg, field, code, detail, message }]}. */
    public static ApiException leg(ApiError error, int leg, String field, String message) {
        return new ApiException(error, message, List.of(new FieldProblem(field, leg, error.code(), message)));
    }

    /** This problem, about the given leg of a ledger transaction (its field becomes {@code postings[leg].field}). */
    public ApiException atLeg(int leg) {
        List<FieldProblem> problems = fieldProblems.isEmpty()
                ? List.of(new FieldProblem("postings[" + leg + "]", leg, error.code(), detail()))
                : fieldProblems.stream().map(p -> new FieldProblem("postings[" + leg + "]." + p.field(), leg, p.code(),
                        p.message())).toList();
        return new ApiException(error, detail(), problems);
    }

    /**
     * One problem with one field of the request, as in {@code errors: [{ field, code, message }]}.
     *
     * @param leg the index of the ledger transaction leg it is about, or null
     */
    public record FieldProblem(String field, Integer leg, String code, String message) {
        public FieldProblem(String field, String code, String message) {
            this(field, null, code, message);
        }
    }
}
