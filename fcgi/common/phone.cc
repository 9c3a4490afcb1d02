// The shim over Google's libphonenumber (C++): one extern "C" entry
// point that parses a phone number the French way and gives its E.164
// form. No C++ exception leaves this file.
//
// Numbers written nationally (no "+" nor "00") are read, in this order:
//  1. as a fixed line or mobile of an overseas department or
//     collectivity that shares the French trunk "0" (Guadeloupe,
//     Martinique, Guyane, La Reunion, Mayotte, Saint-Barthelemy,
//     Saint-Martin): "0690 12 34 56" is +590690123456. libphonenumber
//     also accepts their fixed lines as metropolitan numbers ("0262 16
//     12 34" as +33262161234), which is not how they are reached from
//     abroad: the overseas reading comes first so that both spellings
//     give the same number;
//  2. as a metropolitan number (FR), which keeps the toll-free, shared-
//     cost and VoIP ranges (08, 09) French although the overseas plans
//     list them too;
//  3. as any other number of those overseas plans;
//  4. as a number of the collectivities with their own short plans and
//     no trunk "0": Nouvelle-Caledonie, Polynesie francaise, Wallis-et-
//     Futuna, Saint-Pierre-et-Miquelon (in that order: a 6-digit number
//     valid in several of them is read as the first).
// Numbers written with +33 or 0033 ("+33 6...", "+33 (0)6...",
// "+33 06...": the trunk 0 after the country code is dropped) whose
// French national form belongs to an overseas plan get the overseas
// country code: "+33 690 12 34 56" is +590690123456.
#include "config.h"

#include <cstring>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include "phone.h"

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

PhoneNumberUtil *util;

const char *const trunk_regions[] = { "GP", "MQ", "GF", "RE", "YT", "BL", "MF" };
const char *const other_regions[] = { "NC", "PF", "WF", "PM" };

// Parses s as written in region; true when it is a valid number.
bool
valid_in(const std::string &s, const char *region, PhoneNumber *n)
{
	PhoneNumber t;

	if (util->Parse(s, region, &t) != PhoneNumberUtil::NO_PARSING_ERROR)
		return false;
	if (t.has_extension() || !util->IsValidNumber(t))
		return false;
	*n = t;
	return true;
}

// A fixed line or a mobile: the numbers that belong to one place.
// Toll-free, shared-cost and VoIP ranges (08, 09) are common to France
// and its overseas departments and stay French.
bool
geographic(const PhoneNumber &n)
{
	PhoneNumberUtil::PhoneNumberType k = util->GetNumberType(n);

	return k == PhoneNumberUtil::FIXED_LINE || k == PhoneNumberUtil::MOBILE ||
	    k == PhoneNumberUtil::FIXED_LINE_OR_MOBILE;
}

template <size_t N> bool
valid_in_any(const std::string &s, const char *const (&regions)[N],
    bool geo, PhoneNumber *n)
{
	PhoneNumber t;

	for (size_t i = 0; i < N; i++)
		if (valid_in(s, regions[i], &t) && (!geo || geographic(t))) {
			*n = t;
			return true;
		}
	return false;
}

// True when the number is written with its country code ("+" or "00").
bool
international(const char *in)
{
	const char *p = in + std::strspn(in, " ().-/");

	return *p == '+' || (p[0] == '0' && p[1] == '0');
}

bool
find(const std::string &in, bool intl, PhoneNumber *n)
{
	PhoneNumber	 t;
	std::string	 nsn;

	if (!intl)
		return valid_in_any(in, trunk_regions, true, n) ||
		    valid_in(in, "FR", n) ||
		    valid_in_any(in, trunk_regions, false, n) ||
		    valid_in_any(in, other_regions, false, n);
	if (util->Parse(in, "FR", &t) != PhoneNumberUtil::NO_PARSING_ERROR ||
	    t.has_extension())
		return false;
	if (t.country_code() == 33) {
		util->GetNationalSignificantNumber(t, &nsn);
		if (valid_in_any("0" + nsn, trunk_regions, true, n))
			return true;
	}
	if (!util->IsValidNumber(t))
		return false;
	*n = t;
	return true;
}

} // namespace

extern "C" int
phone_init(void)
{
	try {
		if (util == nullptr)
			util = PhoneNumberUtil::GetInstance();
		return util != nullptr ? 0 : -1;
	} catch (...) {
		return -1;
	}
}

extern "C" int
phone_e164(const char *in, char *out, size_t outsz, int *mobile)
{
	try {
		PhoneNumber	 n;
		std::string	 s;

		if (phone_init() == -1)
			return -1;
		if (!find(in, international(in), &n))
			return 1;
		util->Format(n, PhoneNumberUtil::E164, &s);
		if (s.size() + 1 > outsz)
			return -1;
		std::memcpy(out, s.c_str(), s.size() + 1);
		if (mobile != nullptr) {
			PhoneNumberUtil::PhoneNumberType k = util->GetNumberType(n);
			*mobile = k == PhoneNumberUtil::MOBILE ||
			    k == PhoneNumberUtil::FIXED_LINE_OR_MOBILE;
		}
		return 0;
	} catch (...) {
		return -1;
	}
}
