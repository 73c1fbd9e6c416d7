//! The request for access of appendix 2 of the manual: an organisation's details and a row
//! per employee, checked before it is filed.

use super::{
    access::Rights,
    accounts::{Snils, looks_like_email, normalise_email},
};

/// One employee as the request form holds it, text as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmployeeInput {
    pub full_name: String,
    pub job_title: String,
    pub rights: Rights,
    pub snils: String,
    pub email: String,
    pub phone: String,
    pub working_hours: String,
}

impl EmployeeInput {
    /// A row left wholly empty is not an employee.
    pub fn is_blank(&self) -> bool {
        [
            &self.full_name,
            &self.job_title,
            &self.snils,
            &self.email,
            &self.phone,
            &self.working_hours,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
            && !self.rights.any()
    }
}

/// An employee that passed every check: СНИЛС as digits, e-mail normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Employee {
    pub full_name: String,
    pub job_title: String,
    pub rights: Rights,
    pub snils: String,
    pub email: String,
    pub phone: String,
    pub working_hours: String,
}

/// Checks the employee rows: the filled ones become employees, or every problem is told,
/// each naming its row. Whether an address already belongs to an account is not told here:
/// the form is open to anyone, and it would tell them who has an account; the administrator
/// sees it when reviewing the request.
pub fn check_employees(rows: &[EmployeeInput]) -> Result<Vec<Employee>, Vec<String>> {
    let mut problems = Vec::new();
    let mut employees = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (i, row) in rows.iter().enumerate().filter(|(_, r)| !r.is_blank()) {
        let n = i + 1;
        let mut say = |what: &str| problems.push(format!("Сотрудник {n}: {what}"));
        if row.full_name.trim().is_empty() {
            say("укажите ФИО.");
        }
        if row.job_title.trim().is_empty() {
            say("укажите должность.");
        }
        if !row.rights.any() {
            say("выберите хотя бы одно право.");
        }
        let snils = match Snils::parse(&row.snils) {
            Ok(snils) => snils.digits().to_owned(),
            Err(e) => {
                say(e.message());
                String::new()
            }
        };
        let email = normalise_email(&row.email);
        if !looks_like_email(&email) {
            say("укажите рабочий e-mail.");
        } else if seen.contains(&email) {
            say("этот e-mail уже указан у другого сотрудника в заявке.");
        }
        seen.push(email.clone());
        if row.phone.trim().is_empty() {
            say("укажите телефон.");
        }
        if row.working_hours.trim().is_empty() {
            say("укажите время работы.");
        }
        employees.push(Employee {
            full_name: row.full_name.trim().to_owned(),
            job_title: row.job_title.trim().to_owned(),
            rights: row.rights,
            snils,
            email,
            phone: row.phone.trim().to_owned(),
            working_hours: row.working_hours.trim().to_owned(),
        });
    }
    if employees.is_empty() && problems.is_empty() {
        problems.push("Укажите хотя бы одного сотрудника.".to_owned());
    }
    if problems.is_empty() {
        Ok(employees)
    } else {
        Err(problems)
    }
}

/// A login for a new account from its e-mail: the part before `@`, in Latin letters,
/// digits, dots and dashes, made unique with a number when `taken` says so.
pub fn login_from_email(email: &str, taken: impl Fn(&str) -> bool) -> String {
    let local = email.split('@').next().unwrap_or_default();
    let mut base: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect::<String>()
        .to_lowercase();
    if base.is_empty() {
        base = "user".to_owned();
    }
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, email: &str, snils: &str) -> EmployeeInput {
        EmployeeInput {
            full_name: name.to_owned(),
            job_title: "Инженер".to_owned(),
            rights: Rights {
                create: true,
                ..Rights::default()
            },
            snils: snils.to_owned(),
            email: email.to_owned(),
            phone: "+7 812 000-00-00".to_owned(),
            working_hours: "пн–пт 9–18".to_owned(),
        }
    }

    #[test]
    fn filled_rows_become_employees_and_blank_ones_are_skipped() {
        let rows = [
            row("Иванов И. И.", " Ivanov@STK.ru ", "112-233-445 95"),
            EmployeeInput::default(),
        ];
        let employees = check_employees(&rows).expect("valid");
        assert_eq!(employees.len(), 1);
        assert_eq!(employees[0].email, "ivanov@stk.ru");
        assert_eq!(employees[0].snils, "11223344595");
    }

    #[test]
    fn each_problem_names_its_row() {
        let mut no_rights = row("Сидоров", "s@stk.ru", "112-233-445 95");
        no_rights.rights = Rights::default();
        let rows = [
            row("Иванов", "same@stk.ru", "112-233-445 95"),
            row("Петров", "Same@stk.ru", "112-233-445 96"),
            EmployeeInput::default(),
            no_rights,
        ];
        let problems = check_employees(&rows).expect_err("bad");
        assert_eq!(
            problems,
            [
                "Сотрудник 2: СНИЛС введён с ошибкой: контрольное число не совпадает.",
                "Сотрудник 2: этот e-mail уже указан у другого сотрудника в заявке.",
                "Сотрудник 4: выберите хотя бы одно право.",
            ]
        );
        assert_eq!(
            check_employees(&[EmployeeInput::default()]),
            Err(vec!["Укажите хотя бы одного сотрудника.".to_owned()])
        );
    }

    #[test]
    fn logins_come_from_the_address_and_stay_unique() {
        assert_eq!(login_from_email("Ivanov.I@stk.ru", |_| false), "ivanov.i");
        let taken = ["petrov", "petrov2"];
        assert_eq!(
            login_from_email("petrov@stk.ru", |l| taken.contains(&l)),
            "petrov3"
        );
        assert_eq!(login_from_email("иванов@stk.ru", |_| false), "user");
    }
}
