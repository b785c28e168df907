package dev.ledgerflow.gateway.page;

import java.net.URI;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The pages the service serves from its jar: the operator console ({@code /console/}), the merchant
 * dashboard ({@code /dashboard/}) and the hosted checkout ({@code /checkout/{session}}). They are static
 * HTML and JavaScript modules (their assets under {@code /assets/}, {@code /console/}, … are served as
 * static resources) fed only by the public and admin API. Each page answer carries a strict
 * Content-Security-Policy (scripts and styles from this origin only) and no Referer leaves a page (a
 * checkout URL is its only credential).
 */
@Configuration(proxyBeanMethods = false)
class PageRoutes {

    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self';"
            + " script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private static final Resource CONSOLE = new ClassPathResource("static/console/index.html");
    private static final Resource DASHBOARD = new ClassPathResource("static/dashboard/index.html");
    private static final Resource CHECKOUT = new ClassPathResource("static/checkout/index.html");

    @Bean
    RouterFunction<ServerResponse> pages() {
        return RouterFunctions.route()
                .GET("/console", request -> redirect("/console/"))
                .GET("/console/", request -> page(CONSOLE))
                .GET("/dashboard", request -> redirect("/dashboard/"))
                .GET("/dashboard/", request -> page(DASHBOARD))
                // Only session ids: the page's own files (/checkout/checkout.js, …) are static resources.
                .route(RequestPredicates.GET("/checkout/{session}")
                        .and(request -> request.pathVariable("session").startsWith("cs_")), request -> page(CHECKOUT))
                .build();
    }

    private static Mono<ServerResponse> page(Resource html) {
        return ServerResponse.ok()
                .contentType(new MediaType(MediaType.TEXT_HTML, java.nio.charset.StandardCharsets.UTF_8))
                .cacheControl(CacheControl.noCache())
                .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .header("Referrer-Policy", "no-referrer")
                .header("X-Content-Type-Options", "nosniff")
                .bodyValue(html);
    }

    private static Mono<ServerResponse> redirect(String to) {
        return ServerResponse.permanentRedirect(URI.create(to)).build();
    }
}
