"""What a person does in the admin, as steps for the browser tests.

Elements are found by Django's stable names and ids (`#id_<field>`, `input[name=...]`,
`.field-<name>`, `#result_list`, `.messagelist`), never by layout. Every step waits for the
condition it needs (an element, a new page, the autocomplete's answer) instead of sleeping.
"""

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

TIMEOUT = 10  # seconds a step may take before the test fails (never spent unless it would fail)


class AdminBrowser:
    def __init__(self, driver, base_url, password):
        self.driver = driver
        self.base_url = base_url
        self.password = password  # every test user's

    # Waiting ------------------------------------------------------------------------------------
    def wait(self, condition, message=""):
        return WebDriverWait(self.driver, TIMEOUT, ignored_exceptions=[StaleElementReferenceException]).until(
            condition, message
        )

    def find(self, css):
        return self.wait(ec.presence_of_element_located((By.CSS_SELECTOR, css)), f"no element {css}")

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def exists(self, css):
        return bool(self.find_all(css))

    def visible(self, css):
        return self.wait(ec.visibility_of_element_located((By.CSS_SELECTOR, css)), f"{css} not visible")

    # Pages --------------------------------------------------------------------------------------
    def visit(self, path):
        self.driver.get(self.base_url + path)  # returns once the page has loaded

    @property
    def path(self):
        return self.driver.current_url.removeprefix(self.base_url)

    @property
    def html(self):
        return self.driver.page_source

    def submit(self, css):
        """Click a submit button (or link) and wait until the next page has replaced this one."""
        self.driver.execute_script("window.leftByTest = true")  # gone once another page is loaded
        self.find(css).click()
        # While the page changes, chromedriver may answer with an error about the old document.
        WebDriverWait(self.driver, TIMEOUT, ignored_exceptions=[WebDriverException]).until(
            lambda d: d.execute_script("return !window.leftByTest && document.readyState === 'complete'"),
            f"clicking {css} did not load a page",
        )

    def login(self, user):
        self.visit("/admin/login/")
        self.fill("username", user.username)
        self.fill("password", self.password)
        self.submit("#login-form input[type=submit]")
        assert self.exists("#user-tools"), f"{user.username} could not sign in"

    # Forms --------------------------------------------------------------------------------------
    def fill(self, name, value):
        field = self.find(f"[name='{name}']")
        field.clear()
        field.send_keys(str(value))

    def check(self, name, on=True):
        box = self.find(f"input[name='{name}']")
        if box.is_selected() != on:
            box.click()

    def select(self, name, value):
        Select(self.find(f"select[name='{name}']")).select_by_value(value)

    def _autocomplete(self, field, term):
        """Open the autocomplete of `field`, type `term`, and return the options once they answer
        for it: none still loading and every one matching the term (select2 shows the answer
        for the empty term first, and asks the server only after a short pause in the typing)."""
        # Django renders the select2 box right after the <select id="id_<field>"> it stands for.
        self.find(f"#id_{field} + .select2 .select2-selection").click()
        self.visible(".select2-container--open .select2-search__field").send_keys(term)

        def answered(driver):
            options = self.find_all(".select2-container--open .select2-results__option")
            texts = [option.text for option in options]
            if not texts or any("loading-results" in (o.get_attribute("class") or "") for o in options):
                return False
            if texts == ["No results found"] or all(term.lower() in text.lower() for text in texts):
                return options
            return False

        return self.wait(answered, f"the autocomplete of {field} did not answer for {term!r}")

    def autocomplete_options(self, field, term):
        """The names the autocomplete of `field` offers for `term` (then closed again)."""
        texts = [option.text for option in self._autocomplete(field, term)]
        self.find(".select2-container--open .select2-search__field").send_keys(Keys.ESCAPE)
        self.wait(lambda d: not self.exists(".select2-container--open"), "the autocomplete did not close")
        return [] if texts == ["No results found"] else texts

    def choose(self, field, term, text):
        """Type `term` in the autocomplete of `field` and pick the option showing `text`."""
        options = [option for option in self._autocomplete(field, term) if text in option.text]
        assert len(options) == 1, f"{field}: {text!r} offered {len(options)} times for {term!r}"
        options[0].click()
        self.wait(
            lambda d: any(text in o.text for o in Select(self.find(f"#id_{field}")).all_selected_options),
            f"{text!r} was not chosen for {field}",
        )

    # Inlines ------------------------------------------------------------------------------------
    def inline_prefix(self, pk):
        """The form prefix ("variants-1") of the inline row editing the object `pk`, wherever
        the inline lists it."""
        return self.find(f"input[name$='-id'][value='{pk}']").get_attribute("name").removesuffix("-id")

    def add_inline_row(self, formset):
        """Click "Add another ..." under the inline `formset` and return the new row's prefix."""
        total = int(self.find(f"#id_{formset}-TOTAL_FORMS").get_attribute("value"))
        self.find(f"#{formset}-group .add-row a").click()
        prefix = f"{formset}-{total}"
        self.visible(f"[name='{prefix}-name']")
        return prefix

    # Change lists -------------------------------------------------------------------------------
    def search(self, term):
        self.fill("q", term)
        self.submit("#changelist-search input[type=submit]")

    def listed(self, column="name"):
        """The values of one column of the change list (by default the rows' names)."""
        return [cell.text for cell in self.find_all(f"#result_list tbody tr .field-{column}")]

    def run_action(self, action, pks):
        for pk in pks:
            self.check_row(pk)
        self.select("action", action)
        self.submit("#changelist-form button[name=index]")

    def check_row(self, pk):
        box = self.find(f"input[name=_selected_action][value='{pk}']")
        if not box.is_selected():
            box.click()

    def table(self, *headers):
        """The body rows, as {header: cell}, of the table with exactly these column headers."""
        for table in self.find_all("#content-main table"):
            heads = [th.get_attribute("textContent").strip() for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
            if tuple(heads) == headers:
                return [
                    dict(
                        zip(
                            heads,
                            (td.get_attribute("textContent").strip() for td in row.find_elements(By.TAG_NAME, "td")),
                            strict=True,
                        )
                    )
                    for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
                ]
        raise AssertionError(f"no table with the columns {headers} on {self.path}")

    def upload(self, name, path):
        self.find(f"input[type=file][name='{name}']").send_keys(str(path))

    def messages(self):
        return [item.text for item in self.find_all(".messagelist li")]
