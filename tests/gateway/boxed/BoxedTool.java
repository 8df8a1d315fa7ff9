// Test harness: keeps one JVM running the DCC Boxed signing tool's own Sign and Validate entry points
// (uk.co.smartdcc.boxed.xmldsig, from the npm package @smartdcc/duis-sign-wrap's dist/tool.jar) over many
// messages, so a test run does not pay a JVM start per message. Nothing here signs or validates by itself.
//
// Protocol on stdin, one job per line: "sign<TAB>out.xml<TAB>in.xml[<TAB>cert.pem<TAB>key.key]" or
// "validate<TAB>out.xml<TAB>in.xml" (the arguments after out.xml are the tool's own command line). For each job the tool's stdout goes to out.xml and one line with its ResultCode (SUCCESS, VALIDATION_FAIL...)
// is written to our stdout. Sign sets the RequestID's counter to the current milliseconds: the harness waits for
// the clock to move on between jobs, so two requests signed in a row never share a counter.
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import uk.co.smartdcc.boxed.xmldsig.ResultCode;
import uk.co.smartdcc.boxed.xmldsig.Sign;
import uk.co.smartdcc.boxed.xmldsig.Validate;

public class BoxedTool {
    public static void main(String[] args) throws Exception {
        BufferedReader jobs = new BufferedReader(new InputStreamReader(System.in));
        PrintStream reply = System.out;
        long last = 0;
        String line;
        while ((line = jobs.readLine()) != null) {
            String[] job = line.split("\t");
            while (System.currentTimeMillis() <= last) {
                Thread.sleep(1);
            }
            last = System.currentTimeMillis();
            ResultCode code = null;
            String[] toolArgs = java.util.Arrays.copyOfRange(job, 2, job.length);
            try (PrintStream out = new PrintStream(new FileOutputStream(job[1]), true, "UTF-8")) {
                System.setOut(out);
                code = job[0].equals("sign") ? Sign.main_aux(toolArgs) : Validate.main_aux(toolArgs);
            } catch (Throwable error) {
                error.printStackTrace();
            } finally {
                System.setOut(reply);
            }
            reply.println(code == null ? "ERROR" : code.toString());
            reply.flush();
        }
    }
}
