package dev.ledgerflow.gateway.web;

import io.micrometer.common.KeyValue;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.observation.DefaultServerRequestObservationConvention;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.result.method.RequestMappingInfoHandlerMapping;
import org.springframework.web.util.pattern.PathPattern;

/**
 * Tags {@code http.server.requests} by route also for a request that never reached its handler: one
 * refused by a filter before routing (401 without a key, 503 {@code overloaded}) or by routing itself
 * (405, 415), which the default convention tags {@code uri="UNKNOWN"}. Such a request's path is matched
 * against the controllers' route templates; a path no route has keeps the default tag ({@code NOT_FOUND}
 * or {@code UNKNOWN}), so a scan of random paths cannot grow the tag values; so does a page of the
 * router functions (PageRoutes). A request that was routed costs nothing more than the default convention.
 */
@Component
class RouteObservationConvention extends DefaultServerRequestObservationConvention {

    private final ObjectProvider<RequestMappingInfoHandlerMapping> mappings;
    private final Map<String, KeyValue> routes = new ConcurrentHashMap<>();
    private volatile List<PathPattern> patterns;

    RouteObservationConvention(ObjectProvider<RequestMappingInfoHandlerMapping> mappings) {
        this.mappings = mappings;
    }

    @Override
    protected KeyValue uri(ServerRequestObservationContext context) {
        // At the observation's start (the active-requests timer) no request has a route yet: the lookup is
        // only for one that ended without (its answer written), so routed requests pay nothing for it.
        if (context.getPathPattern() != null || context.getCarrier() == null || context.getResponse() == null
                || !context.getResponse().isCommitted()) {
            return super.uri(context);
        }
        PathContainer path = context.getCarrier().getPath().pathWithinApplication();
        for (PathPattern pattern : patterns()) {
            if (pattern.matches(path)) {
                return routes.computeIfAbsent(pattern.getPatternString(), route -> KeyValue.of("uri", route));
            }
        }
        return super.uri(context);
    }

    /** Every controller route, most specific first (a literal segment before a variable). */
    private List<PathPattern> patterns() {
        List<PathPattern> known = patterns;
        if (known == null) {
            known = mappings.orderedStream()
                    .flatMap(mapping -> mapping.getHandlerMethods().keySet().stream())
                    .flatMap(info -> info.getPatternsCondition().getPatterns().stream())
                    .distinct()
                    .sorted(Comparator.nullsLast(PathPattern.SPECIFICITY_COMPARATOR))
                    .toList();
            patterns = known;
        }
        return known;
    }
}
