import scenarios.base
import scenarios.needs_missing_package
import scenarios.notes
import scenarios.lister
