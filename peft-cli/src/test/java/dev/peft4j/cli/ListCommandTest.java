package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.testing.PluginJars;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ListCommandTest {

    @TempDir Path dir;

    private static String[] run(String... args) {
        CommandLine commandLine = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        int status = commandLine.execute(args);
        return new String[] {Integer.toString(status), out.toString(), err.toString()};
    }

    @Test
    void listsTheMethodsAndBothEnginesUsableOnTheCpu() {
        String[] result = run("list");
        assertEquals("0", result[0], result[2]);
        String out = result[1];
        assertTrue(Pattern.compile("(?m)^  lora +dev\\.peft4j\\.lora\\.LoraFactory$").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^  dora +dev\\.peft4j\\.dora\\.DoraFactory$").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^  pytorch +usable +PyTorch 2\\.7\\.1, devices: cpu\\(\\)$").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^  mxnet +usable +MXNet 1\\.9\\.\\d, devices: cpu\\(\\)$").matcher(out).find(), out);
    }

    @Test
    void aJarInThePluginDirectoryIsListed() {
        PluginJars.build(
                dir.resolve("vera.jar"),
                AdapterFactory.class.getName(),
                Map.of("com.example.VeraFactory", PluginJars.adapterFactorySource("com.example.VeraFactory", "vera")));
        String[] result = run("--plugins", dir.toString(), "list");
        assertEquals("0", result[0], result[2]);
        assertTrue(result[1].contains("  vera         com.example.VeraFactory"), result[1]);
        assertTrue(result[1].contains("  lora "), result[1]);
    }

    @Test
    void aMissingPluginDirectoryIsAOneLineError() {
        String[] result = run("--plugins", dir.resolve("missing").toString(), "list");
        assertEquals("1", result[0]);
        assertTrue(result[2].startsWith("peft4j: Plugin directory "), result[2]);
        assertTrue(result[2].contains("does not exist"), result[2]);
    }
}
