package dev.peft4j.cli;

import static dev.peft4j.cli.MergeFiles.floats;
import static dev.peft4j.cli.MergeFiles.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.safetensors.SafetensorsDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #14 for the commands' paths: no output overlaps an input (links included), only regular
 * files are read and written, every path is checked before work, and each refusal is one line
 * naming the path, the cause and the fix, with every file left as it was.
 */
class CommandSafetyTest {

    private static final int FILE_TYPE = 0170000;
    private static final int FIFO = 0010000;
    private static final int CHARACTER_DEVICE = 0020000;

    @TempDir
    Path dir;

    private Path base;
    private Path adapter;
    private Path adapterWeights;
    private byte[] adapterBytes;
    private byte[] baseBytes;

    @BeforeEach
    void files() throws IOException {
        Random random = new Random(3);
        base = MergeFiles.write(
                dir.resolve("model.safetensors"),
                List.of(floats("h.0.q.weight", SafetensorsDtype.F32, MergeFiles.exact(random, 48, 0.5f), 6, 8)),
                Map.of());
        adapter = MergeFiles.adapter(
                dir.resolve("adapter"),
                PeftAdapterConfig.builder()
                        .setR(2)
                        .setTargetModules(List.of("q"))
                        .build(),
                List.of(
                        floats("h.0.q.lora_A.weight", SafetensorsDtype.F32, gaussian(random, 16, 1), 2, 8),
                        floats("h.0.q.lora_B.weight", SafetensorsDtype.F32, gaussian(random, 12, 1), 6, 2)));
        adapterWeights = adapter.resolve(AdapterDirectory.WEIGHTS_FILE);
        adapterBytes = Files.readAllBytes(adapterWeights);
        baseBytes = Files.readAllBytes(base);
    }

    private CommandRunner.Result merge(Path out) {
        return CommandRunner.run(
                "merge", "--base", base.toString(), "--adapter", adapter.toString(), "--out", out.toString());
    }

    /** A refusal: status 1, one line starting with the expected text and containing the others; inputs unchanged. */
    private void assertRefused(CommandRunner.Result result, String start, String... contained) throws IOException {
        assertEquals(1, result.status(), result.out() + result.err());
        String err = result.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("peft4j: " + start), err);
        for (String text : contained) {
            assertTrue(err.contains(text), "'" + text + "' in " + err);
        }
        assertArrayEquals(adapterBytes, Files.readAllBytes(adapterWeights), "the adapter is unchanged");
        assertArrayEquals(baseBytes, Files.readAllBytes(base), "the base is unchanged");
    }

    @Test
    void mergeIntoTheAdaptersOwnFileIsRefused() throws IOException {
        assertRefused(
                merge(adapterWeights),
                adapterWeights + " (--out) is inside the input directory " + adapter + " (--adapter)",
                "write the output outside it");
        assertEquals(
                java.util.Set.of(AdapterDirectory.WEIGHTS_FILE, "adapter_config.json"),
                java.util.Set.copyOf(MergeFiles.fileNames(adapter)));
    }

    @Test
    void anOutputThatIsAnInputThroughAHardLinkOrSymlinkIsRefused() throws IOException {
        Path hardLink = Files.createLink(dir.resolve("linked.safetensors"), adapterWeights);
        assertRefused(
                merge(hardLink),
                hardLink + " (--out) is the same file as " + adapterWeights + " (--adapter, through a link)");
        Path symlink = Files.createSymbolicLink(dir.resolve("alias.safetensors"), base);
        assertRefused(merge(symlink), symlink + " (--out) is the input " + base + " (--base)");
        assertRefused(merge(base), base + " (--out) is the input " + base + " (--base)");
        Path linkedDirectory = Files.createSymbolicLink(dir.resolve("adapter-link"), adapter);
        assertRefused(
                merge(linkedDirectory.resolve("new.safetensors")),
                linkedDirectory.resolve("new.safetensors") + " (--out) is inside the input directory");
    }

    @Test
    void aModelDirectoryMergeRefusesAnOutputInsideItsBase() throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        Files.copy(base, model.resolve("model.safetensors"));
        CommandRunner.Result result = CommandRunner.run(
                "merge",
                "--base",
                model.toString(),
                "--adapter",
                adapter.toString(),
                "--out",
                model.resolve("merged").toString());
        assertRefused(
                result, model.resolve("merged") + " (--out) is inside the input directory " + model + " (--base)");
        assertEquals(List.of("model.safetensors"), MergeFiles.fileNames(model));
    }

    @Test
    void devNullAsOutputIsRefusedAndSurvives() throws IOException {
        Path devNull = Path.of("/dev/null");
        assumeTrue(Files.exists(devNull) && modeType(devNull) == CHARACTER_DEVICE, "a Unix /dev/null");
        assertRefused(
                merge(devNull), "/dev/null (--out) is a character device, not a regular file", "give a file's path");
        assertEquals(CHARACTER_DEVICE, modeType(devNull), "/dev/null is still a character device");
    }

    @Test
    void aFifoAsOutputIsRefusedAndSurvives() throws Exception {
        Path fifo = mkfifo(dir.resolve("pipe"));
        assertRefused(merge(fifo), fifo + " (--out) is a FIFO (named pipe), not a regular file");
        assertEquals(FIFO, modeType(fifo));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // a safety net only: a FIFO config hung inspect forever
    void aFifoConfigIsRefusedWithoutReadingIt() throws Exception {
        Path config = adapter.resolve("adapter_config.json");
        Files.delete(config);
        mkfifo(config);
        CommandRunner.Result result = CommandRunner.run("inspect", adapter.toString());
        assertRefused(result, config + " in " + adapter + " (DIR) is a FIFO (named pipe), not a regular file");
        CommandRunner.Result merged = merge(dir.resolve("merged.safetensors"));
        assertRefused(merged, config + " in " + adapter + " (--adapter) is a FIFO");
    }

    @Test
    void anExistingDirectoryAsAFileOutputIsRefusedBeforeWork() throws IOException {
        Path existing = Files.createDirectory(dir.resolve("existing"));
        assertRefused(merge(existing), existing + " (--out) is an existing directory; --out takes a file path here");
        assertTrue(Files.isDirectory(existing));
        Path missingParent = dir.resolve("no-such-dir").resolve("merged.safetensors");
        assertRefused(
                merge(missingParent), missingParent + " (--out) cannot be written: its directory", "create it first");
        assertEquals(List.of("adapter", "existing", "model.safetensors"), MergeFiles.fileNames(dir));
    }

    @Test
    void aMissingInputIsNamedWithItsFlag() throws IOException {
        CommandRunner.Result result = CommandRunner.run(
                "merge",
                "--base",
                dir.resolve("absent.safetensors").toString(),
                "--adapter",
                adapter.toString(),
                "--out",
                dir.resolve("merged.safetensors").toString());
        assertRefused(result, dir.resolve("absent.safetensors") + " (--base) does not exist");
        CommandRunner.Result file = CommandRunner.run("inspect", base.toString());
        assertRefused(file, base + " (DIR) is a regular file; DIR takes a directory");
    }

    @Test
    void anUnreadableInputIsReportedAsUnreadable() throws IOException {
        Files.setPosixFilePermissions(adapterWeights, java.util.Set.of());
        try {
            assumeTrue(!Files.isReadable(adapterWeights), "permissions are enforced (not running as root)");
            CommandRunner.Result result = CommandRunner.run("inspect", adapter.toString());
            assertEquals(1, result.status());
            assertEquals(
                    "peft4j: " + adapterWeights
                            + " (DIR) cannot be read: permission denied; fix its permissions (chmod) "
                            + "or run as a user who can read it",
                    result.err().strip());
        } finally {
            Files.setPosixFilePermissions(
                    adapterWeights, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    @Test
    void aConfigNestedPastTheParsersLimitSaysSo() throws IOException {
        Files.writeString(adapter.resolve("adapter_config.json"), "{\"r\": " + "[".repeat(300) + "]".repeat(300) + "}");
        CommandRunner.Result result = CommandRunner.run("inspect", adapter.toString());
        assertRefused(result, "", "nested deeper than the parser's limit of 255 levels");
    }

    @Test
    void aPathTheSystemCannotRepresentIsAUsageError() {
        CommandRunner.Result result = CommandRunner.run("inspect", "bad\0path");
        assertEquals(2, result.status(), result.err());
        assertEquals(1, result.err().strip().lines().count(), result.err());
        assertTrue(
                result.err().contains("is not a valid path here: Nul character not allowed; correct the path"),
                result.err());
    }

    private static int modeType(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS) & FILE_TYPE;
    }

    /** Makes a FIFO with mkfifo, or skips the test where there is none. */
    static Path mkfifo(Path path) throws InterruptedException {
        try {
            Process process = new ProcessBuilder("mkfifo", path.toString())
                    .redirectErrorStream(true)
                    .start();
            assumeTrue(process.waitFor() == 0 && Files.exists(path), "mkfifo works here");
        } catch (IOException e) {
            assumeTrue(false, "no mkfifo: " + e.getMessage());
        }
        return path;
    }
}
