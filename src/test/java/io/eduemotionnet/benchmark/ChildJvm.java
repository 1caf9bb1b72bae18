package io.eduemotionnet.benchmark;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM on this benchmark's classpath (the Kafka broker, the event producer): its CPU is not the
 * job's, so the job's process CPU time can be measured alone. It reports on stdout, one line at a time;
 * its stderr (logs) goes to a file under {@code target/benchmark/}.
 */
final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final String name;

    private ChildJvm(String name, Process process) {
        this.name = name;
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    static ChildJvm start(String name, String maxHeap, Class<?> main, List<String> args) throws IOException {
        Path work = Path.of("target", "benchmark");
        File tmp = work.resolve(name + "-tmp").toFile();
        tmp.mkdirs();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + maxHeap);
        cmd.add("-Djava.io.tmpdir=" + tmp.getAbsolutePath());
        cmd.add("-Dlog4j.configurationFile=" + System.getProperty("log4j.configurationFile", "log4j2-local.properties"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd)
                .redirectError(work.resolve(name + ".log").toFile())
                .start();
        return new ChildJvm(name, p);
    }

    /** The next line the child prints; fails if it ended first. */
    String readLine() throws IOException {
        String line = out.readLine();
        if (line == null) {
            throw new IOException(name + " ended (exit " + waitQuietly() + "); see target/benchmark/" + name + ".log");
        }
        return line;
    }

    /** The next line starting with {@code prefix}, its rest. */
    String expect(String prefix) throws IOException {
        for (String line = readLine(); ; line = readLine()) {
            if (line.startsWith(prefix)) {
                return line.substring(prefix.length()).trim();
            }
        }
    }

    long pid() {
        return process.pid();
    }

    private int waitQuietly() {
        try {
            return process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Closes the child's stdin (its signal to stop), then waits for it; kills it after a minute. */
    @Override
    public void close() throws IOException {
        process.getOutputStream().close();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
