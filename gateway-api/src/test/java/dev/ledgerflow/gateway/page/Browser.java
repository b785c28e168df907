package dev.ledgerflow.gateway.page;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) driven by Selenium
 * through the system chromedriver, never a downloaded browser (other paths with {@code -Dledger.test.chromium=}
 * and {@code -Dledger.test.chromedriver=}). Without them, the test is skipped with the command that installs them.
 */
final class Browser implements AutoCloseable {

    static final Path CHROMIUM = Path.of(System.getProperty("ledger.test.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("ledger.test.chromedriver", "/usr/bin/chromedriver"));
    static final Path SCREENSHOTS = Path.of("target", "screenshots");
    static final Duration WAIT = Duration.ofSeconds(45);

    final WebDriver driver;
    private final Path profile;

    private Browser(WebDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    static boolean installed() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    /** Skips the calling test, saying how to install what it needs, when Chromium or its driver is missing. */
    static void assumeInstalled() {
        Assumptions.assumeTrue(installed(), "Browser tests need Chromium and its driver (" + CHROMIUM + ", " + CHROMEDRIVER
                + "): apt-get update && apt-get install -y chromium chromium-driver");
    }

    /** A fresh browser (own profile) at desktop width, or a skipped test when Chromium is not installed. */
    static Browser start() {
        assumeInstalled();
        try {
            Path profile = Files.createTempDirectory("ledgerflow-chromium");
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toFile());
            // Without the background-networking flags Chromium waits on the network it cannot reach.
            options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900", "--user-data-dir=" + profile);
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                    .usingAnyFreePort().build();
            WebDriver driver = new ChromeDriver(service, options);
            driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60)).scriptTimeout(Duration.ofSeconds(30));
            return new Browser(driver, profile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void open(String url) {
        driver.get(url);
    }

    /** Opens {@code url} as a new visitor: nothing kept in this origin's session storage from an earlier test. */
    void openSignedOut(String url) {
        driver.get(url);
        ((org.openqa.selenium.JavascriptExecutor) driver).executeScript("sessionStorage.clear()");
        driver.get(url);
    }

    WebElement find(String css) {
        return until(d -> {
            var found = d.findElements(By.cssSelector(css));
            return found.isEmpty() || !found.getFirst().isDisplayed() ? null : found.getFirst();
        });
    }

    void type(String css, String text) {
        WebElement input = find(css);
        input.clear();
        input.sendKeys(text);
    }

    /** Clicks the element once it is shown and enabled (found again if the page re-rendered it meanwhile). */
    void click(String css) {
        until(d -> {
            WebElement element = find(css);
            if (!element.isEnabled()) {
                return null;
            }
            element.click();
            return true;
        });
    }

    /** Waits until the element's text contains {@code text}; returns its text. */
    String waitForText(String css, String text) {
        return until(d -> {
            var found = d.findElements(By.cssSelector(css));
            return found.stream().map(WebElement::getText).filter(t -> t.contains(text)).findFirst().orElse(null);
        });
    }

    <T> T until(Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, WAIT, Duration.ofMillis(100))
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class) // re-rendered meanwhile: look again
                .until(condition::apply);
    }

    void phoneWidth() {
        driver.manage().window().setSize(new Dimension(390, 844));
    }

    void desktopWidth() {
        driver.manage().window().setSize(new Dimension(1280, 900));
    }

    /** Saves what the page shows as target/screenshots/{name}.png. */
    void screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            byte[] png = ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
            Files.write(SCREENSHOTS.resolve(name + ".png"), png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        driver.quit();
        try (var files = Files.walk(profile)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temporary profile left behind is harmless
        }
    }
}
