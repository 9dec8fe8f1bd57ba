package dev.peft4j.cli;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.io.StagedDirectory;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A child process for {@link InterruptCleanupTest}: starts an output as the commands do (a
 * safetensors file through its atomic temporary file, or a staged directory), writes into it,
 * prints {@code ready} and waits, uncommitted, until it is killed.
 */
public final class HeldOutput {

    private HeldOutput() {}

    /**
     * Holds an output open.
     *
     * @param args {@code file PATH} or {@code directory PATH}
     * @throws IOException when standard input fails
     */
    public static void main(String[] args) throws IOException {
        Path target = Path.of(args[1]);
        if (args[0].equals("file")) {
            SafetensorsWriter writer = SafetensorsWriter.create(
                    target, List.of(new TensorSpec("w", SafetensorsDtype.F32, new Shape(1024))), Map.of());
            writer.write("w", ByteBuffer.allocate(4096));
        } else {
            StagedDirectory staged = StagedDirectory.start(target);
            Files.writeString(staged.path().resolve("report.json"), "{}");
        }
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the signal; the parent never writes
        }
    }
}
